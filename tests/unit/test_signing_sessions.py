"""Pure parts of service signing: verification codes and unlocked-key expiry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from docsvc.documents import codes
from docsvc.runtime.signing import SigningRuntime, UnlockedKeys
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


def test_an_unlocked_key_expires_and_is_forgotten() -> None:
    keys = UnlockedKeys(timedelta(minutes=15))
    user, credential = uuid.uuid4(), uuid.uuid4()
    key = _key()
    keys.put(user, credential, key, NOW)
    assert keys.get(user, credential, NOW + timedelta(minutes=14)) is key
    assert keys.expires_at(user, NOW) == NOW + timedelta(minutes=15)
    assert keys.get(user, credential, NOW + timedelta(minutes=15)) is None
    assert keys.expires_at(user, NOW) is None


def test_a_replaced_credential_does_not_reuse_the_old_key() -> None:
    keys = UnlockedKeys(timedelta(minutes=15))
    user = uuid.uuid4()
    keys.put(user, uuid.uuid4(), _key(), NOW)
    assert keys.get(user, uuid.uuid4(), NOW) is None


def test_sweep_and_drop() -> None:
    keys = UnlockedKeys(timedelta(minutes=1))
    a, b = uuid.uuid4(), uuid.uuid4()
    keys.put(a, uuid.uuid4(), _key(), NOW)
    keys.put(b, uuid.uuid4(), _key(), NOW + timedelta(minutes=5))
    assert keys.sweep(NOW + timedelta(minutes=2)) == 1
    assert keys.drop(b) and not keys.drop(b)


def test_the_pool_runs_work_off_the_calling_thread() -> None:
    import threading

    runtime = SigningRuntime(2, timedelta(minutes=1))
    try:
        name = runtime.run(lambda: threading.current_thread().name)
        assert name.startswith("signing")
        assert runtime.workers == 2
    finally:
        runtime.close()
