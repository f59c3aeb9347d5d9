"""``docsvc sign --pkcs11-lib LIB --token LABEL --key LABEL --pin PIN`` as an operator runs
it, against a real SoftHSM2 token, then ``docsvc verify``; failures are one line with
docs/contracts.md's exit codes (2 bad usage or unreadable input, 1 signing failure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docsvc.demo.sample_pdfs import demo_documents
from signing.dev_pki import issue_official, load_dev_pki
from tests.harness.softhsm import SoftHsm, TokenKey, shared_softhsm
from tests.support.cli import instance_secret, run

P12_PIN = "8642"
TOKEN_PIN = "975310"


@pytest.fixture(scope="module")
def hsm() -> SoftHsm:
    return shared_softhsm()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, hsm: SoftHsm) -> tuple[Path, TokenKey, Path]:
    data_dir = tmp_path_factory.mktemp("signing-pkcs11-cli")
    assert run(["init"], data_dir).returncode == 0
    pki = load_dev_pki(data_dir / "pki", instance_secret(data_dir))
    official = issue_official(
        pki,
        full_name="Lucía Paredes",
        username="directora",
        organisation="Ministerio",
        position="Directora Financiera",
        pin=P12_PIN,
    )
    token = hsm.add_official(official.pkcs12, P12_PIN, key_label="directora", pin=TOKEN_PIN)
    unsigned = data_dir / "resolucion.pdf"
    unsigned.write_bytes(demo_documents()[1].pdf)
    return data_dir, token, unsigned


def _token_args(token: TokenKey, **override: str) -> list[str]:
    given = {
        "--pkcs11-lib": str(token.lib),
        "--token": token.token_label,
        "--key": token.key_label,
        "--pin": token.pin,
    } | override
    return [part for pair in given.items() for part in pair]


@pytest.mark.parametrize("level", ["B-B", "B-LT"])
def test_sign_with_a_token_then_verify(
    setup: tuple[Path, TokenKey, Path], hsm: SoftHsm, level: str
) -> None:
    data_dir, token, unsigned = setup
    signed = data_dir / f"token-{level}.pdf"
    made = run(
        ["sign", str(unsigned), "-o", str(signed), "--level", level, *_token_args(token)],
        data_dir,
        **hsm.env,
    )
    assert made.returncode == 0, made.stderr
    assert "Lucía Paredes" in made.stdout
    checked = run(["verify", str(signed)], data_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(run(["verify", "--json", str(signed)], data_dir).stdout)
    assert report["verdict"] == "valid"
    (signature,) = report["signatures"]
    assert signature["level"] == level
    assert "Lucía Paredes" in signature["signer"]["name"]


@pytest.mark.parametrize(
    ("override", "code", "message"),
    [
        ({"--pin": "000000"}, 1, "PIN"),
        ({"--key": "nadie"}, 1, "no signing key labelled 'nadie'"),
        ({"--token": "otro-token"}, 1, "no token labelled 'otro-token'"),
        ({"--pkcs11-lib": "/nonexistent/libpkcs11.so"}, 2, "cannot read"),
    ],
)
def test_token_failures_are_one_line(
    setup: tuple[Path, TokenKey, Path],
    hsm: SoftHsm,
    override: dict[str, str],
    code: int,
    message: str,
) -> None:
    data_dir, token, unsigned = setup
    out = data_dir / "never.pdf"
    result = run(
        ["sign", str(unsigned), "-o", str(out), "--level", "B-B", *_token_args(token, **override)],
        data_dir,
        **hsm.env,
    )
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_key_usage_is_exit_2(setup: tuple[Path, TokenKey, Path], hsm: SoftHsm) -> None:
    data_dir, token, unsigned = setup
    out = str(data_dir / "never.pdf")
    incomplete = ["--pkcs11-lib", str(token.lib), "--token", token.token_label, "--pin", "1"]
    both = [*_token_args(token), "--p12", str(data_dir / "x.p12")]
    for args in (incomplete, both):
        result = run(["sign", str(unsigned), "-o", out, *args], data_dir, **hsm.env)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
    # The input is never the output: writing it would empty it first.
    same = run(["sign", str(unsigned), "-o", str(unsigned), *_token_args(token)], data_dir)
    assert same.returncode == 2
    assert unsigned.stat().st_size > 0
