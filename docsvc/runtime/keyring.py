"""The keys a running service opens once and keeps: the development PKI, the TSA's token
template, the institution's seal, the register's checkpoint key, the key pepper, and the
signed CRL and OCSP answers in hand.

Opening them is slow on purpose (scrypt-encrypted files, PKCS#12 unlocking), so each is
opened at first use and then held. They are held by a ``Keyring`` that the ``Services``
registry owns, never by a module: two services in one process (a test's two apps, a CLI
command beside a server) each open their own, and closing the services drops them.

The keyring knows no feature: each feature names its own ``Slot`` (a typed name) and says
how to open what goes in it. A slot is opened once even when many threads ask together,
and a slow slot never holds up another."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from docsvc.config import Settings

T = TypeVar("T")


# Not slotted: ``Slot[X](...)`` records its type argument on the instance, which a frozen
# dataclass refuses quietly and a slotted one does not.
@dataclass(frozen=True)
class Slot(Generic[T]):
    """A typed name for one thing a keyring holds: ``Slot[DevPki]("dev-pki")``."""

    name: str


class Keyring:
    """What one service instance has opened, by slot and variant, with the settings that
    say where to find it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._held: dict[tuple[str, Hashable], object] = {}
        self._opening: dict[tuple[str, Hashable], threading.Lock] = {}
        self._lock = threading.Lock()

    def held(self, slot: Slot[T], open_: Callable[[], T], variant: Hashable = None) -> T:
        """What ``slot`` holds for ``variant``, opened with ``open_`` the first time. A
        variant tells apart what must be opened again when it changes (a seal file
        replaced on disk has a new modification time)."""
        key = (slot.name, variant)
        with self._lock:
            if key in self._held:
                return cast(T, self._held[key])
            opening = self._opening.setdefault(key, threading.Lock())
        # One thread opens; the others wait for it, not for the whole keyring.
        with opening:
            with self._lock:
                if key in self._held:
                    return cast(T, self._held[key])
            value = open_()
            with self._lock:
                self._held[key] = value
                self._opening.pop(key, None)
            return value

    def forget(self, slot: Slot[T]) -> None:
        """Drop every variant of ``slot``: the next use opens it again."""
        with self._lock:
            for key in [k for k in self._held if k[0] == slot.name]:
                del self._held[key]
