"""The keyring opens each slot once per service, however many threads ask together, and
two services each open their own."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from docsvc.config import Settings
from docsvc.runtime.keyring import Keyring, Slot

KEY = Slot[bytes]("test-key")
OTHER = Slot[bytes]("other-key")


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_a_slot_is_opened_once_when_many_threads_ask_together(tmp_path: Path) -> None:
    keys = Keyring(_settings(tmp_path))
    opened: list[int] = []

    def slow_open() -> bytes:
        opened.append(1)
        time.sleep(0.05)  # a scrypt-encrypted file takes this long, and more
        return b"key"

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: keys.held(KEY, slow_open), range(16)))
    assert results == [b"key"] * 16
    assert len(opened) == 1


def test_a_slow_slot_does_not_hold_up_another(tmp_path: Path) -> None:
    keys = Keyring(_settings(tmp_path))
    release = threading.Event()

    def blocked() -> bytes:
        release.wait(5)
        return b"slow"

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(keys.held, KEY, blocked)
        time.sleep(0.05)
        assert keys.held(OTHER, lambda: b"quick") == b"quick"
        release.set()
        assert slow.result() == b"slow"


def test_a_new_variant_is_opened_again_and_forget_drops_every_variant(tmp_path: Path) -> None:
    keys = Keyring(_settings(tmp_path))
    assert keys.held(KEY, lambda: b"one", variant=1) == b"one"
    assert keys.held(KEY, lambda: b"again", variant=1) == b"one"
    assert keys.held(KEY, lambda: b"two", variant=2) == b"two"
    keys.forget(KEY)
    assert keys.held(KEY, lambda: b"three", variant=1) == b"three"


def test_a_failed_open_is_not_held(tmp_path: Path) -> None:
    keys = Keyring(_settings(tmp_path))

    def broken() -> bytes:
        raise OSError("unreadable")

    with pytest.raises(OSError, match="unreadable"):
        keys.held(KEY, broken)
    assert keys.held(KEY, lambda: b"fixed") == b"fixed"


def test_two_keyrings_hold_their_own(tmp_path: Path) -> None:
    first, second = Keyring(_settings(tmp_path)), Keyring(_settings(tmp_path))
    assert first.held(KEY, lambda: b"first") == b"first"
    assert second.held(KEY, lambda: b"second") == b"second"
