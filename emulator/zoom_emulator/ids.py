"""Identifiers and timestamps shaped like Zoom's, shared by every resource model."""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Callable
from datetime import UTC, datetime


def b64_id(raw: bytes) -> str:
    # Zoom ids look like base64url of 16 bytes: 22 characters, no padding.
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def user_id_for(email: str) -> str:
    """Deterministic so the same HR row maps to the same Zoom user in every run and every emulator."""
    return b64_id(hashlib.sha256(email.strip().casefold().encode()).digest()[:16])


def iso_z(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GroupIdSource:
    """Group ids from one seeded RNG for both group APIs, so a restart with a state file replays them."""

    def __init__(self, seed: int | None):
        self._seed = seed
        self._rng = random.Random(seed)

    def restart(self) -> None:
        self._rng = random.Random(self._seed)

    def new(self, taken: Callable[[str], bool]) -> str:
        while True:
            group_id = b64_id(self._rng.getrandbits(128).to_bytes(16, "big"))
            if not taken(group_id):
                return group_id
