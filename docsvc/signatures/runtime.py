"""Per-process signing state: officials' unlocked keys and the pool that runs pyHanko.

Unlocked keys live only in this process's memory and only until their session expires or
the official locks it; they are never written anywhere. With several server processes each
keeps its own, so an official may be asked for the PIN again by another process.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from signing.pades import SigningKey

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UnlockedKey:
    credential_id: uuid.UUID
    key: SigningKey
    expires_at: datetime


class UnlockedKeys:
    def __init__(self, lifetime: timedelta) -> None:
        self._lifetime = lifetime
        self._keys: dict[uuid.UUID, UnlockedKey] = {}
        self._lock = threading.Lock()

    def put(
        self, user_id: uuid.UUID, credential_id: uuid.UUID, key: SigningKey, now: datetime
    ) -> UnlockedKey:
        unlocked = UnlockedKey(credential_id, key, now + self._lifetime)
        with self._lock:
            self._keys[user_id] = unlocked
        return unlocked

    def get(self, user_id: uuid.UUID, credential_id: uuid.UUID, now: datetime) -> SigningKey | None:
        with self._lock:
            unlocked = self._keys.get(user_id)
            if unlocked is None:
                return None
            if unlocked.expires_at <= now or unlocked.credential_id != credential_id:
                # Expired, or the credential was replaced: forget the parsed key at once.
                del self._keys[user_id]
                return None
            return unlocked.key

    def expires_at(self, user_id: uuid.UUID, now: datetime) -> datetime | None:
        with self._lock:
            unlocked = self._keys.get(user_id)
        return unlocked.expires_at if unlocked and unlocked.expires_at > now else None

    def drop(self, user_id: uuid.UUID) -> bool:
        with self._lock:
            return self._keys.pop(user_id, None) is not None

    def sweep(self, now: datetime) -> int:
        with self._lock:
            expired = [u for u, k in self._keys.items() if k.expires_at <= now]
            for user_id in expired:
                del self._keys[user_id]
        return len(expired)


class SigningRuntime:
    """Runs pyHanko's CPU work on a bounded pool, so that request threads (and never the
    event loop) wait for it, and a burst of signing requests cannot take every thread."""

    def __init__(self, workers: int, session_lifetime: timedelta) -> None:
        self.workers = workers or (os.cpu_count() or 1)
        self.keys = UnlockedKeys(session_lifetime)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="signing")

    def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return self._pool.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
