"""Running many Zoom calls of one wave in one task: bounded concurrency, progress, compact results.

A task per group costs a process, a scheduling round and metadata writes each; one task with a
thread pool over one hook (one session, one token, shared pacers) spends its time on Zoom instead.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from airflow_provider_zoom.exceptions import ZoomError, ZoomRateLimitError

T = TypeVar("T")
R = TypeVar("R")

PROGRESS_EVERY_S = 5.0


class SupportsLog(Protocol):
    """A standard ``logging.Logger`` or an operator's ``self.log`` (Airflow's structured logger)."""

    def info(self, msg: Any, /, *args: Any, **kwargs: Any) -> Any: ...

    def warning(self, msg: Any, /, *args: Any, **kwargs: Any) -> Any: ...


class Progress:
    """Logs done/total, the current rate and an ETA, at most every ``every`` seconds."""

    def __init__(self, label: str, total: int, log: SupportsLog, every: float = PROGRESS_EVERY_S):
        self.label, self.total, self.log, self.every = label, total, log, every
        self.done = 0
        self.started = self._last = time.monotonic()
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            now = time.monotonic()
            if now - self._last < self.every and self.done < self.total:
                return
            self._last = now
            elapsed = max(now - self.started, 1e-9)
            rate = self.done / elapsed
            eta = (self.total - self.done) / rate if rate else float("inf")
            self.log.info("%s: %d/%d done, %.1f/s, ETA %.0f s", self.label, self.done, self.total, rate, eta)


def run_wave(
    items: Iterable[T],
    call: Callable[[T], R],
    *,
    max_workers: int,
    label: str,
    log: SupportsLog,
) -> list[tuple[T, R | None, BaseException | None]]:
    """Call ``call`` on every item with at most ``max_workers`` in flight; collect results and errors.

    A daily-limit error stops the wave: the calls not yet started are reported with that error
    rather than sent, since each would meet the same 429 until midnight UTC.
    """
    import requests  # here, not at module level: DAG files that use the wave operators parse without it

    items = list(items)
    progress = Progress(label, len(items), log)
    stop: list[BaseException] = []

    def guarded(item: T) -> R:
        if stop:
            raise stop[0]
        try:
            return call(item)
        except ZoomRateLimitError as exc:
            stop.append(exc)
            raise
        finally:
            progress.tick()

    results: list[tuple[T, R | None, BaseException | None]] = []
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="zoom-wave") as pool:
        futures = {pool.submit(guarded, item): item for item in items}
        for future in as_completed(futures):
            item = futures[future]
            try:
                results.append((item, future.result(), None))
            except (ZoomError, requests.RequestException, ValueError) as exc:
                results.append((item, None, exc))
    return results


def daily_limit_resume_at(
    exc: ZoomRateLimitError, *, now: datetime, max_wait: timedelta, margin_s: float = 1.0
) -> tuple[datetime, bool]:
    """When a wave stopped by a daily limit tries again, and whether ``max_wait`` cut Zoom's reset short.

    Zoom's reset (measured on Zoom's clock when its reply had a ``Date``; else its ``Retry-After`` against
    ours) plus a margin and up to a second of jitter, so that the tasks stopped by one limit do not all come
    back in the same instant; without a readable reset, the next 00:00 UTC (when Zoom's daily windows end).
    Never later than ``now + max_wait``.
    """
    from airflow_provider_zoom._transport.retries import parse_retry_after  # requests: not at DAG parse time

    seconds = exc.retry_after if exc.retry_after is not None else parse_retry_after(exc.reset_at, now.timestamp())
    if seconds is None:
        midnight = (now.astimezone(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        seconds = (midnight - now).total_seconds()
    wait = timedelta(seconds=seconds + margin_s + random.uniform(0.0, 1.0))  # jitter
    if wait > max_wait:
        return now + max_wait, True
    return now + wait, False


def write_report(directory: str | os.PathLike, name: str, payload: dict[str, Any]) -> str:
    """Atomically write a JSON report (0600) and return its path."""
    from airflow_provider_zoom._files import write_atomically

    return write_atomically(Path(directory) / name,
                            lambda handle: json.dump(payload, handle, ensure_ascii=False, indent=1))


def load_report(result: dict[str, Any]) -> dict[str, Any]:
    """The full result of a wave task: its XCom, completed from the report file when it was too large."""
    if not result.get("report") or "created" in result:
        return result
    with open(result["report"], encoding="utf-8") as handle:
        return {**result, **json.load(handle)}
