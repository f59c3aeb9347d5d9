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


APPS = ("docsvc-1", "docsvc-2")
SEAWEEDFS = ("seaweedfs-master", "seaweedfs-volume-1", "seaweedfs-volume-2", "seaweedfs-filer")


def test_services_and_their_order() -> None:
    services = _compose()["services"]
    assert set(services) == {
        "postgres",
        *SEAWEEDFS,
        "s3",
        "s3-setup",
        *APPS,
        "worker",
        "haproxy",
    }
    for app in APPS:
        depends = services[app]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["s3-setup"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(services[app]["healthcheck"]["test"])
    for name in ("postgres", *SEAWEEDFS, "s3", *APPS):
        assert "healthcheck" in services[name], name
    assert set(services["haproxy"]["depends_on"]) == set(APPS)


def test_seaweedfs_is_a_cluster_keeping_two_copies() -> None:
    services = _compose()["services"]
    for name in ("seaweedfs-master", "seaweedfs-filer", "s3", *SEAWEEDFS[1:3]):
        assert services[name]["image"].startswith("chrislusf/seaweedfs:"), name
    master = services["seaweedfs-master"]["command"]
    assert master[0] == "master" and "-defaultReplication=001" in master
    volumes = [services[name] for name in SEAWEEDFS[1:3]]
    for volume in volumes:
        command = volume["command"]
        assert command[0] == "volume"
        assert "-master=seaweedfs-master:9333" in command
        # 001 puts the second copy on another server of the same rack.
        assert "-dataCenter=dc1" in command and "-rack=rack1" in command
    assert len({volume["volumes"][0].split(":")[0] for volume in volumes}) == 2
    filer = services["seaweedfs-filer"]["command"]
    assert filer[0] == "filer" and "-master=seaweedfs-master:9333" in filer
    gateway = services["s3"]["command"]
    assert gateway[0] == "s3" and "-filer=seaweedfs-filer:8888" in gateway
    assert "-port=9000" in gateway and "-autoCreateBucket=false" in gateway


def test_both_apps_point_at_the_s3_gateway_with_a_complete_environment() -> None:
    services = _compose()["services"]
    required = {
        "DOCSVC_ENV",
        "DOCSVC_DATA_DIR",
        "DOCSVC_DATABASE_URL",
        "DOCSVC_STORAGE_BACKEND",
        "DOCSVC_S3_ENDPOINT",
        "DOCSVC_S3_BUCKET",
        "DOCSVC_S3_ACCESS_KEY",
        "DOCSVC_S3_SECRET_KEY",
        "DOCSVC_SECRET_KEY",
        "DOCSVC_KEY_PEPPER_FILE",
        "DOCSVC_PUBLIC_URL",
        "DOCSVC_INSTITUTION_NAME",
        "DOCSVC_INSTITUTION_CODE",
        "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE",
        "FORWARDED_ALLOW_IPS",
    }
    environments = [services[app]["environment"] for app in APPS]
    assert environments[0] == environments[1]
    env = environments[0]
    assert required <= set(env), required - set(env)
    assert env["DOCSVC_STORAGE_BACKEND"] == "s3"
    assert env["DOCSVC_S3_ENDPOINT"] == "s3:9000"
    assert env["DOCSVC_DATABASE_URL"].endswith("@postgres:5432/docsvc")
    # Behind haproxy, each process must count the client's address.
    command = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert "--proxy-headers" in command


def test_haproxy_runs_the_committed_config_over_both_apps() -> None:
    haproxy = _compose()["services"]["haproxy"]
    assert haproxy["image"].startswith("haproxy:")
    assert (
        "./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in haproxy["volumes"]
    )
    env = haproxy["environment"]
    assert {env["DOCSVC_APP_1"], env["DOCSVC_APP_2"]} == {f"{app}:8000" for app in APPS}
    assert env["HAPROXY_BIND"].endswith(":8000")
    config = (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text()
    for line in (
        "balance roundrobin",
        "option httpchk GET /healthz",
        "option forwardfor",
        "option redispatch",
        'server app1 "${DOCSVC_APP_1}" check',
        'server app2 "${DOCSVC_APP_2}" check',
    ):
        assert line in config, line
    assert '"${DOCSVC_PUBLIC_REQUESTS_PER_MINUTE}"' in config


def test_bucket_setup_enables_object_lock_and_versioning() -> None:
    script = "\n".join(_compose()["services"]["s3-setup"]["command"])
    assert "--object-lock-enabled-for-bucket" in script
    assert "put-bucket-versioning" in script
    assert "Status=Enabled" in script


def test_only_haproxy_is_published_and_only_on_loopback() -> None:
    services = _compose()["services"]
    (port,) = services["haproxy"]["ports"]
    assert port.startswith("127.0.0.1:") and port.endswith(":8000"), port
    assert all("ports" not in s for n, s in services.items() if n != "haproxy")


def test_no_secret_is_written_into_compose() -> None:
    env = _compose()["services"]["docsvc-1"]["environment"]
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
    docsvc = compose["services"]["docsvc-1"]
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


def test_one_worker_runs_the_jobs_with_the_apps_environment() -> None:
    """The worker is an app process's twin (same image, environment, secrets and volume)
    that runs ``docsvc worker`` once the first app has migrated; its health check asks the
    database whether it is alive, and it has time to drain on stop."""
    services = _compose()["services"]
    worker, app = services["worker"], services["docsvc-1"]
    assert worker["command"] == ["docsvc", "worker"]
    assert worker["depends_on"] == {"docsvc-1": {"condition": "service_healthy"}}
    for key in ("image", "environment", "secrets", "volumes", "read_only", "cap_drop"):
        assert worker[key] == app[key], key
    assert worker["healthcheck"]["test"] == ["CMD", "docsvc", "worker", "--check"]
    grace = worker["stop_grace_period"].split(":-")[-1].rstrip("}")
    drain = app["environment"].get("DOCSVC_JOB_DRAIN_SECONDS", "${X:-60}")
    assert int(grace.rstrip("s")) > int(str(drain).split(":-")[-1].rstrip("}"))
    assert "ports" not in worker
    # The entrypoint runs any other command as it is, so the worker never migrates.
    script = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert '*) exec "$@" ;;' in script
