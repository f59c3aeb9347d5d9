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
