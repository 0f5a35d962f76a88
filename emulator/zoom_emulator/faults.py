"""Seeded fault injection.

Every decision comes from one ``random.Random(seed)`` and a fixed number of draws per request, so the same
seed and the same (sequential) request sequence always give the same faults. Concurrent clients still get
a valid fault mix, but which request gets which fault then depends on arrival order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from .errors import DropConnection, EmulatedZoomError

FaultKind = Literal["burst_429", "error_5xx", "reset", "latency", "invalidate_tokens", "commit_then_fail"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "burst_429",
    "error_5xx",
    "reset",
    "latency",
    "invalidate_tokens",
    "commit_then_fail",
)
SHARE_KEYS = ("burst_429", "error_5xx", "reset", "commit_then_fail")
ERROR_STATUSES = (500, 502, 503)


@dataclass(frozen=True)
class FaultConfig:
    """Shares are probabilities per request; ``invalidate_tokens_at`` holds 1-based ordinals of /v2 requests
    counted from when this config took effect (server start, /_emulator/config or /_emulator/reset)."""

    error_5xx: float = 0.0
    reset: float = 0.0
    burst_429: float = 0.0
    commit_then_fail: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    invalidate_tokens_at: tuple[int, ...] = ()
    faults_on_oauth: bool = False
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from JSON/CLI values; raises ``ValueError`` (or ``TypeError``) naming the offending key."""
        if not isinstance(data, Mapping):
            raise TypeError("faults: must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"faults: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values: dict[str, Any] = {}
        for key in SHARE_KEYS:
            if key in data:
                values[key] = _number(key, data[key], upper=1.0)
        if sum(values.get(key, 0.0) for key in ("burst_429", "error_5xx", "reset")) > 1.0:
            raise ValueError("faults: burst_429 + error_5xx + reset must not exceed 1")
        for key in ("latency_ms", "latency_jitter_ms"):
            if key in data:
                values[key] = _number(key, data[key], upper=60_000.0)
        if "invalidate_tokens_at" in data:
            ordinals = data["invalidate_tokens_at"]
            if not isinstance(ordinals, list | tuple) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in ordinals
            ):
                raise ValueError("invalidate_tokens_at: must be a list of request ordinals >= 1")
            values["invalidate_tokens_at"] = tuple(ordinals)
        if "faults_on_oauth" in data:
            if not isinstance(data["faults_on_oauth"], bool):
                raise ValueError("faults_on_oauth: must be a boolean")
            values["faults_on_oauth"] = data["faults_on_oauth"]
        if data.get("seed") is not None:
            if not isinstance(data["seed"], int) or isinstance(data["seed"], bool):
                raise ValueError("seed: must be an integer")
            values["seed"] = data["seed"]
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result["invalidate_tokens_at"] = list(self.invalidate_tokens_at)
        return result


def _number(key: str, value: Any, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= upper:
        raise ValueError(f"{key}: must be a number between 0 and {upper:g}")
    return float(value)


class FaultInjector:
    """Decides, per request, which fault (if any) to inject. Not thread-safe; the backend locks around it."""

    def __init__(self, config: FaultConfig, default_seed: int | None = None):
        self.config = config
        self.api_requests = 0
        self._rng = random.Random(config.seed if config.seed is not None else default_seed)

    def latency_seconds(self) -> float:
        jitter = self.config.latency_jitter_ms
        extra = self._rng.uniform(0, jitter) if jitter else 0.0
        return (self.config.latency_ms + extra) / 1000

    def next_api_request(self) -> bool:
        """Count one /v2 request; True when all tokens must be invalidated before handling it."""
        self.api_requests += 1
        return self.api_requests in self.config.invalidate_tokens_at

    def draw(self, *, allow_429: bool = True) -> FaultKind | None:
        """One draw per request, partitioned into the configured shares (no draw when none is configured)."""
        c = self.config
        if not (c.burst_429 or c.error_5xx or c.reset):
            return None
        roll = self._rng.random()
        shares: tuple[tuple[FaultKind, float], ...] = (
            ("burst_429", c.burst_429 if allow_429 else 0.0),
            ("error_5xx", c.error_5xx),
            ("reset", c.reset),
        )
        for kind, share in shares:
            if roll < share:
                return kind
            roll -= share
        return None

    def error_status(self) -> int:
        return self._rng.choice(ERROR_STATUSES)

    def commit_then_fail(self) -> Literal["error_502", "reset"] | None:
        """For a create that succeeded: whether the client is told otherwise, and how."""
        if not self.config.commit_then_fail or self._rng.random() >= self.config.commit_then_fail:
            return None
        return self._rng.choice(("error_502", "reset"))


class Faults:
    """The injector in force and what it injected: turns its decisions into the failures a client sees.

    Not thread-safe; the backend locks around it. ``reconfigure`` (a new config) and ``restart`` (same config)
    re-seed the RNG and restart the request ordinals, as a new :class:`FaultInjector` does.
    """

    def __init__(self, config: FaultConfig, default_seed: int | None = None):
        self._default_seed = default_seed
        self.injector = FaultInjector(config, default_seed)
        self.counts: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)

    @property
    def config(self) -> FaultConfig:
        return self.injector.config

    def reconfigure(self, config: FaultConfig) -> None:
        self.injector = FaultInjector(config, self._default_seed)

    def restart(self) -> None:
        self.reconfigure(self.injector.config)

    def reset_counts(self) -> None:
        self.counts = dict.fromkeys(FAULT_KINDS, 0)

    def latency_seconds(self, *, oauth: bool = False) -> float:
        """Injected delay for the next request (the HTTP layer sleeps without blocking the loop)."""
        if oauth and not self.config.faults_on_oauth:
            return 0.0
        delay = self.injector.latency_seconds()
        if delay:
            self.counts["latency"] += 1
        return delay

    def count(self, kind: FaultKind) -> None:
        self.counts[kind] += 1

    def raise_transport(self, fault: FaultKind | None) -> None:
        """An injected 5xx or dropped connection, if ``fault`` is one."""
        if fault == "error_5xx":
            self.counts["error_5xx"] += 1
            raise server_error(self.injector.error_status())
        if fault == "reset":
            self.counts["reset"] += 1
            raise DropConnection()

    def after_commit(self) -> None:
        """The commit-then-fail fault: the create is saved, then the client gets a 502 or a dropped connection."""
        failure = self.injector.commit_then_fail()
        if failure is not None:
            self.counts["commit_then_fail"] += 1
            if failure == "reset":
                raise DropConnection()
            raise server_error(502)


def server_error(status: int) -> EmulatedZoomError:
    messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return EmulatedZoomError(status, status, messages[status])
