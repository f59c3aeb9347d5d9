"""``docsvc verify --json``: reasons as codes with ETSI sub-indications and parameters
(``reason_details``), their messages in English unless ``--lang es``; the plain output says
the same words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run

DATA = Path(__file__).parents[1] / "data"
ATTACK = DATA / "signed" / "attack_revoked_before_signing.pdf"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verify-reasons")
    assert run(["init"], path).returncode == 0
    return path


def test_the_json_gives_codes_sub_indications_params_and_english(data_dir: Path) -> None:
    root = DATA / "signed" / "pki_root.pem"
    result = run(["verify", "--json", "--trust", str(root), str(ATTACK)], data_dir)
    assert result.returncode == 1, result.stderr
    (signature,) = json.loads(result.stdout)["signatures"]
    (detail,) = signature["reason_details"]
    assert detail["code"] == "certificate_revoked" == signature["reason_codes"][0]
    assert detail["sub_indication"] == "REVOKED"
    assert detail["params"]["revocation_reason"] == "key_compromise"
    assert detail["params"]["revoked_at"].endswith("+00:00")
    assert detail["message"] == signature["reasons"][0]
    assert detail["message"].startswith("the signer's certificate was revoked on ")
    assert "(key compromise), before the timestamped signing time" in detail["message"]

    spanish = run(["verify", "--json", "--lang", "es", "--trust", str(root), str(ATTACK)], data_dir)
    (signature,) = json.loads(spanish.stdout)["signatures"]
    (detail,) = signature["reason_details"]
    assert detail["message"].startswith("El certificado del firmante se revocó el ")
    assert "(compromiso de la clave), antes de la hora de firma probada" in detail["message"]

    plain = run(["verify", "--lang", "es", "--trust", str(root), str(ATTACK)], data_dir)
    assert plain.returncode == 1
    assert "El certificado del firmante se revocó el " in plain.stdout
