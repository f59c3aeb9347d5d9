"""compose.yaml stays a safe production shape (no Docker engine runs here, so its
structure is checked instead)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent.parent.parent


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_services_and_their_order() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "s3", "s3-setup", "docsvc"}
    depends = services["docsvc"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["s3-setup"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "s3", "docsvc"):
        assert "healthcheck" in services[name]
    assert "/readyz" in " ".join(services["docsvc"]["healthcheck"]["test"])


def test_bucket_setup_enables_object_lock_and_versioning() -> None:
    script = "\n".join(_compose()["services"]["s3-setup"]["command"])
    assert "--object-lock-enabled-for-bucket" in script
    assert "put-bucket-versioning" in script
    assert "Status=Enabled" in script


def test_only_docsvc_is_published_and_only_on_loopback() -> None:
    services = _compose()["services"]
    (port,) = services["docsvc"]["ports"]
    assert port.startswith("127.0.0.1:") and port.endswith(":8000"), port
    assert all("ports" not in s for n, s in services.items() if n != "docsvc")


def test_no_secret_is_written_into_compose() -> None:
    env = _compose()["services"]["docsvc"]["environment"]
    assert env["DOCSVC_ENV"] == "production"
    for key in ("DOCSVC_SECRET_KEY", "DOCSVC_S3_SECRET_KEY", "DOCSVC_S3_ACCESS_KEY"):
        assert env[key].startswith("${"), key


def test_the_entrypoint_migrates_before_serving() -> None:
    script = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert script.index("\ndocsvc db upgrade") < script.index("\nexec docsvc serve")


def test_the_key_pepper_is_a_secret_outside_the_data_volume() -> None:
    """A copy of the data volume and the database must not carry the pepper that seals
    officials' keys: it is a compose secret, mounted under /run/secrets."""
    compose = _compose()
    docsvc = compose["services"]["docsvc"]
    pepper = docsvc["environment"]["DOCSVC_KEY_PEPPER_FILE"]
    assert pepper.startswith("/run/secrets/"), pepper
    assert not pepper.startswith(docsvc["environment"]["DOCSVC_DATA_DIR"])
    assert docsvc["secrets"] == ["key_pepper"]
    assert compose["secrets"]["key_pepper"]["file"].startswith("./secrets/")


def test_postgres_has_room_for_two_processes_pools() -> None:
    """Each process keeps up to 2 × request threads + 4 connections (docsvc.config)."""
    from docsvc.config import Settings

    command = " ".join(_compose()["services"]["postgres"]["command"])
    default = int(command.split("max_connections=${POSTGRES_MAX_CONNECTIONS:-")[1].split("}")[0])
    assert default >= 2 * Settings().db_pool_size + 20
