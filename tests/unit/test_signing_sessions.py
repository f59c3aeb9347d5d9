"""Pure parts of service signing: verification codes and unlocked-key expiry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from docsvc.documents import codes
from docsvc.runtime.signing import SigningRuntime, UnlockedKey, UnlockedKeys
from signing.pades import SigningKey

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_codes_are_grouped_unambiguous_and_distinct() -> None:
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in made:
        assert len(code) == 19 and code.count("-") == 3
        assert not set(code.replace("-", "")) & set("ILOU")
        assert codes.normalise(code) == code


@given(st.sampled_from(["", "-", " "]), st.booleans())
def test_a_code_typed_loosely_is_recognised(separator: str, lower: bool) -> None:
    code = codes.new_code()
    typed = code.replace("-", separator)
    typed = typed.lower() if lower else typed
    assert codes.normalise(typed) == code


@given(st.text(max_size=30))
def test_normalise_never_accepts_garbage_of_the_wrong_shape(text: str) -> None:
    result = codes.normalise(text)
    assert result is None or codes.normalise(result) == result


def test_confusable_letters_read_as_digits() -> None:
    assert codes.normalise("ilo0-1111-2222-3333") == "1100-1111-2222-3333"


def _key() -> SigningKey:
    return SigningKey(signer=None, subject="x")  # type: ignore[arg-type]


SEALED = b"\x01" * 32


def test_a_cached_key_expires_and_is_forgotten() -> None:
    keys = UnlockedKeys()
    credential, key = uuid.uuid4(), _key()
    keys.put("s", UnlockedKey(credential, SEALED, key, NOW + timedelta(minutes=15)))
    assert keys.get("s", credential, SEALED, NOW + timedelta(minutes=14)) is key
    assert keys.get("s", credential, SEALED, NOW + timedelta(minutes=15)) is None
    # Forgotten for good, even if asked again with an earlier clock.
    assert keys.get("s", credential, SEALED, NOW) is None


def test_a_cached_key_serves_only_the_sealed_value_it_came_from() -> None:
    """A session re-opened (or locked and opened again) in another process has another
    sealed value: this process's parsed key is not used for it."""
    keys = UnlockedKeys()
    credential = uuid.uuid4()
    keys.put("s", UnlockedKey(credential, SEALED, _key(), NOW + timedelta(minutes=15)))
    assert keys.get("s", credential, b"\x02" * 32, NOW) is None
    assert keys.get("s", credential, SEALED, NOW) is None


def test_a_replaced_credential_does_not_reuse_the_old_key() -> None:
    keys = UnlockedKeys()
    keys.put("s", UnlockedKey(uuid.uuid4(), SEALED, _key(), NOW + timedelta(minutes=15)))
    assert keys.get("s", uuid.uuid4(), SEALED, NOW) is None


def test_sweep_and_drop() -> None:
    keys = UnlockedKeys()
    keys.put("a", UnlockedKey(uuid.uuid4(), SEALED, _key(), NOW + timedelta(minutes=1)))
    keys.put("b", UnlockedKey(uuid.uuid4(), SEALED, _key(), NOW + timedelta(minutes=5)))
    keys.put("c", UnlockedKey(uuid.uuid4(), SEALED, _key(), NOW + timedelta(minutes=5)))
    assert keys.sweep(NOW + timedelta(minutes=2)) == 1
    keys.drop(["b"])
    assert keys.sweep(NOW + timedelta(minutes=6)) == 1


def test_the_pool_runs_work_off_the_calling_thread() -> None:
    import threading

    runtime = SigningRuntime(2, timedelta(minutes=1))
    try:
        name = runtime.run(lambda: threading.current_thread().name)
        assert name.startswith("signing")
        assert runtime.workers == 2
    finally:
        runtime.close()
