"""Settings, read once from ``DOCSVC_*`` environment variables and passed in.

Nothing reads the environment at import time: ``Settings()`` is built by the CLI or the
application factory and handed down.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
from datetime import date
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that ship in examples and the development defaults. Outside development mode the
# service refuses to start with any of them, so a forgotten variable fails loudly.
PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "dev-secret-key-not-for-production", "minioadmin", "secret"}
)
DEV_SECRET_KEY = "dev-secret-key-not-for-production"  # noqa: S105  (refused outside dev)


def process_scratch_name() -> str:
    """``proc-<host>-<pid>-<start>``: which process on which host owns a scratch directory,
    so that a restart removes only those of processes that are gone (see
    ``docsvc.maintenance.scratch``). Read from /proc each time, so a fork gets its own."""
    pid = os.getpid()
    return f"proc-{_HOST}-{pid}-{process_start_ticks(pid)}"


def process_start_ticks(pid: int) -> str:
    """When a process started (clock ticks since boot, from /proc), so that a reused pid
    is not taken for the process that died; "0" where /proc has no such entry."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "0"
    # The command name (2nd field) may hold spaces and parentheses: split after its end.
    return stat.rsplit(")", 1)[1].split()[19]


def _instance_secret(data_dir: Path) -> str:
    path = data_dir / "secrets" / "instance-secret"
    if path.exists():
        return path.read_text().strip()
    if (data_dir / "pki" / "root.pem").exists():
        # Made before installations had secrets of their own: its keys are under the
        # public default, which must stay to open them.
        return DEV_SECRET_KEY
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".instance-secret.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        # Threads or processes starting together each write one: the first link wins,
        # and all of them read the one that won.
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return path.read_text().strip()


_HOST = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname())[:63] or "host"


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2.1's contrast ratio of two ``#rrggbb`` colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


SignatureLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]


def _default_levels() -> dict[str, SignatureLevel]:
    return {"resolution": "B-LT"}


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"


class SmtpSecurity(StrEnum):
    starttls = "starttls"  # plain connection upgraded with STARTTLS, usually port 587
    ssl = "ssl"  # TLS from the first byte, usually port 465
    none = "none"  # no encryption: only for a relay on the same host or network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCSVC_", extra="ignore")
    _secret_held: tuple[Path, str] | None = PrivateAttr(default=None)
    # This process's scratch directory name, by the pid it was read for (a fork reads its own).
    _scratch_held: tuple[int, str] | None = PrivateAttr(default=None)

    env: Environment = Environment.development
    data_dir: Path = Path("./var")
    # Empty means the embedded SQLite file inside data_dir.
    database_url: str = ""

    storage_backend: StorageBackend = StorageBackend.local
    s3_endpoint: str = "127.0.0.1:9000"
    s3_bucket: str = "docsvc"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_secure: bool = False
    s3_region: str | None = None
    # Object lock's retention mode for records under retention: COMPLIANCE (nobody can
    # shorten it) or GOVERNANCE (those granted s3:BypassGovernanceRetention can).
    s3_retention_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    session_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    # Mark the session cookie Secure; on by default outside development, where TLS ends
    # in front of the service.
    cookie_secure: bool | None = None

    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    # An archival package to import (a whole dossier, every version of every document).
    max_package_bytes: int = Field(default=4 * 1024 * 1024 * 1024, ge=1)
    # Any request body that is not a file upload (JSON, forms): bigger ones get a 413 before
    # they are read, so that no one can make the service hold a large body in memory.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Threads that run request work per process; the database pool holds two connections per
    # thread (a request's, and the one that records a failure in its own transaction), so a
    # burst of requests waits for a thread instead of failing for want of a connection.
    request_threads: int = Field(default=24, ge=2, le=256)
    # Public verification (no login) per client address and minute, in each process.
    public_requests_per_minute: int = Field(default=60, ge=1, le=100_000)
    # The PKI's OCSP and TSA routes (no login; each answer is signed) per client address and
    # minute, in each process: validators ask a few times per document they check.
    pki_requests_per_minute: int = Field(default=120, ge=1, le=100_000)
    # Failed logins (API and web form) per client address and minute, in each process,
    # counted before the password is hashed; successful ones do not count, so an office
    # behind one address logs in freely. The per-account lockout is separate.
    login_failures_per_minute: int = Field(default=20, ge=1, le=100_000)
    # Public verification of uploaded files runs in worker processes that are killed past
    # the time limit (0 processes: one per core, at most 4), each under a memory limit.
    verify_seconds: float = Field(default=30, gt=0, le=600)
    verify_processes: int = Field(default=0, ge=0, le=64)
    verify_memory_mb: int = Field(default=1024, ge=320)
    # A verification that finds every worker busy waits this long in line (first come, first
    # served) before a 503 ``verification_busy``.
    verify_wait_seconds: float = Field(default=10, ge=0, le=600)
    # Each client address's fair share of the public verifier, in each process: the worker
    # seconds its verifications may use in any 60 seconds, and how many may be in flight at
    # once (never more than half the workers, at least one). Beyond either: 429
    # ``verification_budget`` with Retry-After.
    public_verify_seconds_per_minute: float = Field(default=30, gt=0, le=3600)
    public_verifications_in_flight: int = Field(default=2, ge=1, le=64)
    # Decoded (decompressed) data verifying one file may produce: any one stream, and in
    # all (or 4 times the file's size, if more).
    max_decoded_stream_mb: int = Field(default=64, ge=1)
    max_decoded_total_mb: int = Field(default=256, ge=1)
    max_pdf_pages: int = Field(default=5000, ge=1)
    max_pdf_objects: int = Field(default=500_000, ge=1)
    orphan_grace_minutes: int = Field(default=60, ge=0)
    # Fixity audits (docsvc.archival.fixity): how fast a pass reads the store (0: as fast
    # as it can), and how long after a pass started the next one starts.
    fixity_mb_per_second: float = Field(default=20.0, ge=0)
    fixity_every_days: float = Field(default=7.0, gt=0)
    # Long-term validation renewal (docsvc.archival.renewal): an archived document's last
    # timestamp is renewed this many days before its authority's certificate expires or
    # an algorithm in it reaches its sunset.
    ltv_horizon_days: int = Field(default=90, ge=1, le=3650)
    # The institution's unit code in the DIR3 directory (ENI expedientes' Organo and
    # identifiers); the default is a placeholder for development.
    dir3_code: str = Field(default="EA9999999", pattern=r"^[A-Z][A-Z0-9]{8}$")
    # The institution's dates over the algorithm table's (signing.algorithm_sunset), by
    # row: JSON, e.g. {"rsa-2048": "2029-12-31", "sha224": null}.
    ltv_sunset: dict[str, date | None] = Field(default_factory=dict)
    login_max_failures: int = Field(default=5, ge=1)

    # Where outside parties reach this service; certificates point here for CRL and OCSP.
    public_url: str = "http://127.0.0.1:8000"
    # Create the institution's own development PKI in data_dir/pki (embedded default).
    dev_pki: bool = True
    # Production: the outside trust services that replace the development PKI's. The trust
    # roots (PEM or DER files) anchor verification and the validation data of B-LT; the TSA
    # timestamps from B-T up; the OCSP responder, when set, is asked about the signer's
    # certificate before a B-LT signature embeds its answer (otherwise the certificates' own
    # CRL and OCSP addresses are used).
    trust_roots: list[Path] = Field(default_factory=list)
    tsa_url: str = ""
    ocsp_url: str = ""
    # The development TSA's policy OID (a 2.25 UUID arc, unique without registration).
    tsa_policy_oid: str = "2.25.329800735698586629295641978511506172918"

    # PAdES level used when a signing request names none: per document type, then the
    # fallback. Resolutions are kept for decades, so they get their validation data (B-LT).
    signature_levels: dict[str, SignatureLevel] = Field(default_factory=_default_levels)
    default_signature_level: SignatureLevel = "B-T"
    # How long an official's unlocked key stays in memory after they type their PIN.
    signing_session_minutes: int = Field(default=15, ge=1, le=8 * 60)
    # Threads that run pyHanko's CPU work, off the event loop; 0 means one per core.
    signing_workers: int = Field(default=0, ge=0, le=64)
    # Processes a job runner keeps warm for batch signing; 0 means one per core.
    batch_processes: int = Field(default=0, ge=0, le=64)
    # Officials' signing PINs: digits only, at least this many.
    pin_min_length: int = Field(default=6, ge=6, le=32)
    # The pepper that seals officials' keys together with their PINs (32 random bytes):
    # kept out of the database, and in production out of the data directory and its backups
    # too, so that neither alone yields a key. Created on first use when missing; losing it
    # means issuing every official's key again.
    key_pepper_file: Path | None = None
    # Wrong PINs in a row before signing locks, and for how long.
    pin_max_failures: int = Field(default=5, ge=1)
    pin_lockout_minutes: int = Field(default=15, ge=1)
    # How long two-step (card) signing waits between prepare and finish.
    external_signing_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # The PKCS#11 module for officials' keys on tokens or an HSM.
    pkcs11_lib: Path | None = None
    # The institution's electronic seal, which signs the verification reports it issues: a
    # PKCS#12 file, or a key on a token of the PKCS#11 module above; DOCSVC_SEAL_PIN unlocks
    # either. Without one, the development PKI issues a seal (data_dir/pki/seal.p12).
    seal_p12: Path | None = None
    seal_pkcs11_token: str = ""
    seal_pkcs11_key: str = ""
    seal_pin: SecretStr = SecretStr("")

    # E-mail copies of inbox notifications, sent by the outbox. An empty host, the default,
    # turns e-mail off; with a host, DOCSVC_SMTP_FROM is required.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: SmtpSecurity = SmtpSecurity.starttls
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=300)

    # The job queue (docsvc.jobs). Whether the serving process runs jobs too: left unset,
    # only on the embedded SQLite database (one host, one writer, so `make run` needs no
    # second process); on PostgreSQL `docsvc worker` runs them unless this is true.
    jobs_in_app: bool | None = None
    # Jobs each queue runs at once in one process, over the defaults of
    # docsvc.jobs.queues (JSON, e.g. {"ocr": 2, "exports": 1}; 0 runs none of that queue).
    job_concurrency: dict[str, int] = Field(default_factory=dict)
    # A running job whose heartbeat is older than this lost its worker (killed, host
    # gone): it goes back to its queue, the attempt counted.
    job_stale_seconds: float = Field(default=120, ge=5, le=24 * 3600)
    # How long a stopping worker waits for its running jobs before giving them back.
    job_drain_seconds: float = Field(default=60, ge=0, le=3600)
    # The delay before a failed job's first retry; each further one doubles it (at most an
    # hour).
    job_retry_seconds: float = Field(default=10, ge=0, le=3600)
    # Whether a serving process that runs jobs starts their warm processes (batch
    # signing's) with itself rather than at its first job; `docsvc worker` always does.
    job_warm_start: bool = True
    # Days a finished job's row (its progress, result or error) stays readable before the
    # daily pruning deletes it: succeeded and cancelled jobs, and failed ones. 0 keeps them.
    job_keep_days: int = Field(default=30, ge=0, le=36500)
    job_keep_failed_days: int = Field(default=90, ge=0, le=36500)

    # How many times faster every periodic schedule runs (docsvc.periodic): 60 makes a
    # minute of schedule pass each second, so a 10-minute checkpoint comes every 10 s. For
    # tests and demonstrations only, refused in production. It shortens the periods, not
    # the times the work reasons about (session expiry, grace periods, retention). Every
    # process of a deployment must have the same value, as they share the turns.
    periodic_time_scale: float = Field(default=1.0, ge=1, le=3600)

    institution_name: str = "Ministerio de Desarrollo Social"
    institution_code: str = "MDS"
    # The department of the archive, which receives archival transfers (its code); left
    # empty, the department of the first active archivist.
    archive_department: str = ""
    # The department of the historical archive, which receives secondary transfers from
    # the central archive; left empty, the department of the first active archivist
    # outside the central archive's.
    historical_archive_department: str = ""
    # How long the storage keeps what the historical archive receives from being deleted
    # (object lock, or the local store's own), in years; 0 leaves it unlocked.
    historical_retention_years: int = Field(default=100, ge=0, le=1000)
    # The institution's colour (#rrggbb) for the pages' header and navigation bar; the
    # design system's other colours are chosen for contrast and stay as they are.
    brand_colour: str = Field(default="#0b4f8a", pattern=r"^#[0-9a-fA-F]{6}$")
    # The institution's IANA time zone: registry years and business days are local.
    timezone: str = "America/Guayaquil"
    default_language: str = "es"

    @model_validator(mode="after")
    def _brand_colour_carries_white_text(self) -> Self:
        # The header writes the institution's name in white on this colour.
        if contrast(self.brand_colour, "#ffffff") < 4.5:
            raise ValueError(
                f"DOCSVC_BRAND_COLOUR {self.brand_colour} is too light for the header's white "
                "text: choose a colour that reaches 4.5:1 against white (WCAG 2.1, 1.4.3)"
            )
        return self

    @model_validator(mode="after")
    def _require_a_complete_smtp_setup(self) -> Self:
        if not self.smtp_host:
            return self
        if "@" not in parseaddr(self.smtp_from)[1]:
            raise ValueError(
                "DOCSVC_SMTP_FROM must be an e-mail address when DOCSVC_SMTP_HOST is set"
            )
        password = self.smtp_password.get_secret_value()
        if password and not self.smtp_username:
            raise ValueError("DOCSVC_SMTP_PASSWORD is set without DOCSVC_SMTP_USERNAME")
        if not (self.smtp_username + password).isascii():
            # smtplib sends the login as ASCII: better refused at start than at each e-mail.
            raise ValueError("DOCSVC_SMTP_USERNAME and DOCSVC_SMTP_PASSWORD must be ASCII")
        return self

    @model_validator(mode="after")
    def _keep_the_schedule_in_production(self) -> Self:
        if self.env is Environment.production and self.periodic_time_scale != 1:
            raise ValueError(
                "refusing to start in production mode: DOCSVC_PERIODIC_TIME_SCALE is for tests "
                "and demonstrations; leave it at 1"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Self:
        if self.env is Environment.development or self.env is Environment.test:
            return self
        problems = []
        if self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            problems.append("DOCSVC_SECRET_KEY is a placeholder")
        elif len(self.secret_key.get_secret_value()) < 32:
            problems.append("DOCSVC_SECRET_KEY must be at least 32 characters")
        if self.storage_backend is StorageBackend.s3:
            for name in ("s3_access_key", "s3_secret_key"):
                value: SecretStr = getattr(self, name)
                if value.get_secret_value() in PLACEHOLDER_SECRETS:
                    problems.append(f"DOCSVC_{name.upper()} is a placeholder")
        if self.smtp_enabled and self.smtp_username:
            if self.smtp_password.get_secret_value() in PLACEHOLDER_SECRETS:
                problems.append("DOCSVC_SMTP_PASSWORD is a placeholder")
            if self.smtp_security is SmtpSecurity.none:
                problems.append(
                    "DOCSVC_SMTP_SECURITY=none would send the SMTP credentials in clear"
                )
        if problems:
            raise ValueError(f"refusing to start in {self.env.value} mode: " + "; ".join(problems))
        return self

    @property
    def verifier_processes(self) -> int:
        """The public verifier's worker processes: as set, or one a core up to four."""
        return self.verify_processes or min(os.cpu_count() or 1, 4)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'docsvc.sqlite3').resolve()}"

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def local_store_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def shared_tmp_dir(self) -> Path:
        """The host's scratch area: each process's own directory (``upload_tmp_dir``) is in
        it."""
        return self.data_dir / "tmp"

    @property
    def upload_tmp_dir(self) -> Path:
        """This process's scratch files (uploads in flight, copies being signed): a directory
        of its own, which the next start removes if the process was killed. Its name is read
        from /proc once a process (every upload asks)."""
        pid = os.getpid()
        held = self._scratch_held
        if held is None or held[0] != pid:
            held = self._scratch_held = (pid, process_scratch_name())
        return self.data_dir / "tmp" / held[1]

    @property
    def effective_secret(self) -> str:
        """The secret that encrypts the institution's keys at rest and signs form tokens.

        ``DOCSVC_SECRET_KEY`` when it is set. Left at the development default, each
        installation makes a random secret of its own on first use
        (``DATA_DIR/secrets/instance-secret``, mode 0600), so that no one can decrypt its
        keys or forge its tokens from the public default. An installation made before that,
        whose development PKI is already encrypted under the public default, keeps it, and
        says so (``public_secret_in_use``)."""
        value = self.secret_key.get_secret_value()
        if value != DEV_SECRET_KEY:
            return value
        data_dir = self.data_dir.resolve()
        held = self._secret_held
        if held is None or held[0] != data_dir:
            # Read once for these settings (form tokens ask on every page).
            held = self._secret_held = (data_dir, _instance_secret(data_dir))
        return held[1]

    @property
    def public_secret_in_use(self) -> bool:
        """Whether keys at rest and form tokens rest on the public development secret."""
        return self.effective_secret == DEV_SECRET_KEY

    @property
    def effective_key_pepper_file(self) -> Path:
        return self.key_pepper_file or self.data_dir / "secrets" / "key-pepper"

    @property
    def db_pool_size(self) -> int:
        return 2 * self.request_threads + 4

    @property
    def effective_cookie_secure(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env is Environment.production
