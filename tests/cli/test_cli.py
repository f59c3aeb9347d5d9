"""The ``docsvc`` command as an operator uses it: real processes, real exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import instance_secret, run


@pytest.fixture(scope="module")
def institution(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    result = run(["init", "--demo"], data_dir)
    assert result.returncode == 0, result.stderr
    assert "ministra" in result.stdout
    assert "docsvc-demo" in result.stdout
    return data_dir


def test_init_is_idempotent(institution: Path) -> None:
    again = run(["init", "--demo"], institution)
    assert again.returncode == 0, again.stderr
    assert "already present" in again.stdout
    assert (institution / "docsvc.sqlite3").is_file()
    assert (institution / "objects").is_dir()
    assert "Created the development PKI" not in again.stdout  # kept, not replaced


def test_init_creates_the_development_pki(institution: Path) -> None:
    """Under a secret of the installation's own (0600), never the public default."""
    from docsvc.config import DEV_SECRET_KEY
    from signing.dev_pki import load_dev_pki

    secret = instance_secret(institution)
    assert secret and secret != DEV_SECRET_KEY.encode()
    assert (institution / "secrets" / "instance-secret").stat().st_mode & 0o077 == 0
    with pytest.raises(Exception, match="password"):
        load_dev_pki(institution / "pki", DEV_SECRET_KEY.encode())
    pki = load_dev_pki(institution / "pki", secret)
    assert pki.urls.ocsp == "http://127.0.0.1:8000/pki/ocsp"
    assert pki.issuing.certificate.issuer == pki.root.certificate.subject


def test_department_and_user_administration(institution: Path) -> None:
    made = run(
        ["departments", "add", "DCOM", "Dirección de Comunicación", "--parent", "DM"], institution
    )
    assert made.returncode == 0, made.stderr
    listed = run(["departments", "list"], institution)
    assert "DCOM" in listed.stdout and "Dirección de Comunicación" in listed.stdout

    user = run(
        [
            "users",
            "add",
            "prensa",
            "--name",
            "Marta Gil",
            "--department",
            "DCOM",
            "--role",
            "official",
            "--role",
            "registry_clerk",
            "--password-stdin",
        ],
        institution,
        stdin="una-clave-segura\n",
    )
    assert user.returncode == 0, user.stderr
    users = run(["users", "list"], institution).stdout
    assert "prensa" in users and "official,registry_clerk" in users

    assert run(["users", "disable", "prensa"], institution).returncode == 0
    assert "(disabled)" in run(["users", "list"], institution).stdout
    position = run(
        ["positions", "add", "DCOM", "DIR-DCOM", "Directora de Comunicación", "--holder", "prensa"],
        institution,
    )
    assert position.returncode == 0, position.stderr
    assert "DIR-DCOM" in run(["positions", "list"], institution).stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["departments", "add", "DM", "Duplicado"], None, "already exists"),
        (["departments", "add", "bad code", "x"], None, "String should match"),
        (
            [
                "users",
                "add",
                "x1",
                "--name",
                "X",
                "--department",
                "NOPE",
                "--role",
                "official",
                "--password-stdin",
            ],
            "una-clave-segura\n",
            "No department NOPE",
        ),
        (
            [
                "users",
                "add",
                "x2",
                "--name",
                "X",
                "--department",
                "DM",
                "--role",
                "official",
                "--password-stdin",
            ],
            "corta\n",
            "at least 10",
        ),
        (["users", "set-password", "nadie", "--password-stdin"], "una-clave-segura\n", "No user"),
    ],
)
def test_errors_are_one_line_without_traceback(
    institution: Path, args: list[str], stdin: str | None, needle: str
) -> None:
    result = run(args, institution, stdin=stdin)
    assert result.returncode in (1, 2)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_production_refuses_placeholder_secrets(tmp_path: Path) -> None:
    result = run(
        ["db", "upgrade"], tmp_path, DOCSVC_ENV="production", DOCSVC_SECRET_KEY="change-me"
    )
    assert result.returncode == 2
    assert "DOCSVC_SECRET_KEY is a placeholder" in result.stderr
    assert "Traceback" not in result.stderr
    demo = run(
        ["init", "--demo"],
        tmp_path,
        DOCSVC_ENV="production",
        DOCSVC_SECRET_KEY="a-real-secret-of-enough-length-0123456789",
    )
    assert demo.returncode == 2
    assert "refused in production" in demo.stderr


def test_orphan_cleaning_command(institution: Path) -> None:
    result = run(["store", "clean-orphans", "--dry-run"], institution)
    assert result.returncode == 0, result.stderr
    assert '"scanned"' in result.stdout
