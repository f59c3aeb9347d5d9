"""E-mail copies of inbox notifications, against a real SMTP server (aiosmtpd on
127.0.0.1, with a login): off by default; when on, the officials whose turn comes are
mailed, a user without an address is marked so, and a mail server that is down is retried
until it is up or the item is given up, without ever touching the signing line. The
running service mails through ``mail.send`` jobs, queued in the notifications'
transaction; most tests here call the outbox themselves, with no runner that mails."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from docsvc.app import create_app
from docsvc.config import Settings, SmtpSecurity
from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PIN
from docsvc.models import Job, JobState, User
from docsvc.models.signing_lines import InboxItem
from docsvc.notifications import delivery
from docsvc.notifications.delivery import MAIL_KIND
from docsvc.notifications.outbox import RETRY_AFTER, OutboxReport, send_pending
from docsvc.services import Services
from tests.harness.smtp_server import ReceivedMail, SmtpServer
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.jobs import wait_for_job
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]

SMTP_USER = "docsvc-mailer"
SMTP_PASSWORD = "smtp-relay-secret-2026"
MAIL_FROM = "Notificaciones MDS <notificaciones@mds.gob.example>"
INGRID = "ingrid.munoz@mds.gob.example"
SOFIA = "sofia.castillo@mds.gob.example"
PASSWORD = "contraseña-de-prueba-1"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """With the development PKI, so that the demo officials can sign a step."""
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"mail-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def officials(client: TestClient, backend: Backend, auth: Auth) -> None:
    """Íngrid, an official with an address; Tomás, one without; and the preparer's."""
    for username, full_name, email in (
        ("notificada", "Íngrid Muñoz", INGRID),
        ("sincorreo", "Tomás Peña", None),
    ):
        created = client.post(
            "/api/v1/users",
            headers=auth("admin"),
            json={
                "username": username,
                "full_name": full_name,
                "email": email,
                "password": PASSWORD,
                "department": "DPS",
                "roles": ["official"],
            },
        )
        assert created.status_code == 201, created.text
    # No endpoint changes a demo account's address; this is the test's own setup.
    with backend.services.sessions() as db:
        db.execute(update(User).where(User.username == "preparador").values(email=SOFIA))
        db.commit()


@dataclass
class Mailing:
    """The same institution with SMTP configured, pointed at ``server``."""

    services: Services
    client: TestClient

    def send(self, *, after: timedelta = timedelta(0)) -> OutboxReport:
        return send_pending(self.services, now=utcnow() + after)

    def close(self) -> None:
        """Its services are the module's (its engine, its pools) with other settings, and
        the module's own job runner is still using them: closing them here would leave
        that runner's connections to a disposed pool. The backend closes them."""
        self.client.close()


def mailing(
    backend: Backend, server: SmtpServer, security: SmtpSecurity = SmtpSecurity.none
) -> Mailing:
    settings = Settings(
        **{
            **backend.settings.model_dump(),
            "smtp_host": server.host,
            "smtp_port": server.port,
            # Plain text on loopback; DOCSVC_ENV=test allows it with a login, production not.
            "smtp_security": security,
            "smtp_username": SMTP_USER,
            "smtp_password": SMTP_PASSWORD,
            "smtp_from": MAIL_FROM,
            "smtp_timeout_seconds": 5,
        }
    )
    services = dataclasses.replace(backend.services, settings=settings)
    # Not entered as a context: no lifespan, so no job runner that mails (the module's own
    # application runs one without SMTP, which leaves e-mail jobs alone); each test sends
    # when it chooses. The tests that enter it run the jobs on purpose.
    return Mailing(services, TestClient(create_app(settings, services)))


def _mail_jobs(backend: Backend) -> list[Job]:
    with backend.services.sessions() as db:
        jobs = list(db.scalars(select(Job).where(Job.kind == MAIL_KIND).order_by(Job.created_at)))
        db.expunge_all()
        return jobs


def _drop_queued_mail_jobs(backend: Backend) -> None:
    """Cancel what earlier tests queued (no runner here mailed it), so that the next
    runner's jobs are the test's own."""
    with backend.services.sessions() as db:
        db.execute(
            update(Job)
            .where(Job.kind == MAIL_KIND, Job.state == JobState.queued.value)
            .values(state=JobState.cancelled.value)
        )
        db.commit()


@pytest.fixture(scope="module")
def mail_on(backend: Backend, smtp: SmtpServer, officials: None) -> Iterator[Mailing]:
    on = mailing(backend, smtp)
    yield on
    on.close()


def _document(client: TestClient, auth: Auth, title: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=auth("preparador"),
        data={"doc_type": "resolution", "title": title},
        files={"file": ("r.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    doc_id: str = created.json()["id"]
    return doc_id


def _line(client: TestClient, auth: Auth, title: str, *steps: list[str]) -> dict[str, object]:
    created = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={
            "document_id": _document(client, auth, title),
            "title": title,
            "steps": [{"signers": [{"user": u} for u in users]} for users in steps],
        },
    )
    assert created.status_code == 201, created.text
    line: dict[str, object] = created.json()
    return line


def _items(backend: Backend, line: dict[str, object]) -> dict[str, InboxItem]:
    """The line's notifications by the recipient's user name (one each in these tests)."""
    with backend.services.sessions() as db:
        rows = db.execute(
            select(User.username, InboxItem)
            .join(User, User.id == InboxItem.user_id)
            .where(InboxItem.line_id == uuid.UUID(str(line["id"])))
        ).all()
        return {username: item for username, item in rows}  # noqa: C416  (rows, not pairs)


def _text(message: EmailMessage) -> str:
    """The decoded body, with the wire's CRLF line ends made plain again."""
    content: str = message.get_content()
    return content.replace("\r\n", "\n")


def _new_mail(server: SmtpServer, before: int) -> list[ReceivedMail]:
    return server.received[before:]


def test_email_is_off_by_default(
    client: TestClient, backend: Backend, auth: Auth, smtp: SmtpServer, officials: None
) -> None:
    assert not backend.settings.smtp_enabled
    before = len(smtp.received)
    line = _line(client, auth, "Resolución sin correo", ["notificada"])
    items = _items(backend, line)
    assert list(items) == ["notificada"]
    assert items["notificada"].email_status is None
    assert send_pending(backend.services) == OutboxReport()
    assert _mail_jobs(backend) == []  # nothing is queued while e-mail is off

    # Turning e-mail on later does not mail what was made while it was off.
    on = mailing(backend, smtp)
    try:
        assert on.send(after=timedelta(days=1)) == OutboxReport()
    finally:
        on.close()
    assert _items(backend, line)["notificada"].email_status is None
    assert _new_mail(smtp, before) == []


def test_starting_a_line_mails_the_first_steps_signers(
    mail_on: Mailing, backend: Backend, auth: Auth, smtp: SmtpServer
) -> None:
    title = "Resolución n.º 7/2026 — pago a la cooperativa Ñandutí"
    before = len(smtp.received)
    jobs_before = len(_mail_jobs(backend))
    line = _line(mail_on.client, auth, title, ["notificada", "sincorreo"])
    items = _items(backend, line)
    # One job for the transaction that wrote both notifications, queued with them.
    (job,) = _mail_jobs(backend)[jobs_before:]
    assert (job.queue, job.state) == ("notifications", "queued")
    assert {u: i.email_status for u, i in items.items()} == {
        "notificada": "pending",
        "sincorreo": "pending",
    }

    assert mail_on.send() == OutboxReport(sent=1, no_address=1)
    (mail,) = _new_mail(smtp, before)
    assert mail.rcpt_tos == (INGRID,)
    assert mail.mail_from == "notificaciones@mds.gob.example"
    assert mail.logged_in_as == SMTP_USER
    assert mail.data.isascii()  # quoted-printable and encoded words: 7-bit clean
    message = mail.message()
    assert message["Subject"] == f"Firma pendiente: «{title}»"
    assert message["To"] == f"Íngrid Muñoz <{INGRID}>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_charset() == "utf-8"
    body = _text(message)
    assert body.startswith("Íngrid Muñoz:\n")
    assert f"«{title}» espera su firma." in body
    assert f"Línea de firmas: «{title}»" in body
    assert f"{backend.settings.public_url}/" in body
    assert backend.settings.institution_name in body

    items = _items(backend, line)
    assert items["notificada"].email_status == "sent"
    assert items["notificada"].emailed_at is not None
    assert items["notificada"].email_attempts == 0
    assert items["sincorreo"].email_status == "no_address"
    assert items["sincorreo"].emailed_at is None
    assert mail_on.send(after=timedelta(days=1)) == OutboxReport()
    assert len(smtp.received) == before + 1
    # The module's own application runs a job runner, without SMTP: it left the job alone.
    assert _mail_jobs(backend)[jobs_before].state == "queued"


def test_signing_and_rejecting_mail_whoever_comes_next(
    mail_on: Mailing, backend: Backend, auth: Auth, smtp: SmtpServer
) -> None:
    title = "Certificación presupuestaria de diciembre"
    before = len(smtp.received)
    line = _line(mail_on.client, auth, title, ["preparador"], ["notificada"])
    signed = mail_on.client.post(
        f"/api/v1/signing-lines/{line['id']}/sign",
        headers=auth("preparador"),
        json={"pin": DEMO_PIN},
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["current_step"] == 2

    # In creation order: the preparer's turn, then Íngrid's once step 1 was signed.
    assert mail_on.send() == OutboxReport(sent=2)
    first, second = _new_mail(smtp, before)
    assert first.rcpt_tos == (SOFIA,) and second.rcpt_tos == (INGRID,)
    assert second.message()["Subject"] == f"Firma pendiente: «{title}»"

    rejected = mail_on.client.post(
        f"/api/v1/signing-lines/{line['id']}/reject",
        headers=login(mail_on.client, "notificada", PASSWORD),
        json={"reason": "Falta el anexo de la partida nº 12"},
    )
    assert rejected.status_code == 200, rejected.text
    assert mail_on.send() == OutboxReport(sent=1)
    (returned,) = _new_mail(smtp, before + 2)
    assert returned.rcpt_tos == (SOFIA,)
    message = returned.message()
    assert message["Subject"] == f"Devuelto: «{title}»"
    assert f"Íngrid Muñoz devolvió «{title}»: Falta el anexo de la partida nº 12" in _text(message)


def test_a_mail_server_that_is_down_is_retried_and_changes_no_line(
    backend: Backend, auth: Auth, officials: None
) -> None:
    server = SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD)  # not started yet
    down = mailing(backend, server)
    try:
        line = _line(down.client, auth, "Oficio con el correo caído", ["notificada"])
        assert line["status"] == "in_signature"
        shown = down.client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("preparador"))

        assert down.send() == OutboxReport(retrying=1)
        item = _items(backend, line)["notificada"]
        assert (item.email_status, item.email_attempts) == ("pending", 1)
        assert item.email_error is not None and "ConnectionRefusedError" in item.email_error
        assert SMTP_PASSWORD not in item.email_error
        # Not due again until a minute after the notification was made.
        assert down.send() == OutboxReport()
        assert _items(backend, line)["notificada"].email_attempts == 1

        server.start()
        assert down.send(after=RETRY_AFTER[1]) == OutboxReport(sent=1)
        (mail,) = server.received
        assert mail.rcpt_tos == (INGRID,)
        assert mail.message()["Subject"] == "Firma pendiente: «Oficio con el correo caído»"
        item = _items(backend, line)["notificada"]
        assert (item.email_status, item.email_attempts) == ("sent", 1)

        again = down.client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("preparador"))
        assert again.json() == shown.json()
    finally:
        server.stop()
        down.close()


def test_an_item_is_given_up_after_five_failed_attempts(
    backend: Backend, auth: Auth, officials: None
) -> None:
    server = SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD)  # never started
    down = mailing(backend, server)
    try:
        line = _line(down.client, auth, "Informe que no llegará por correo", ["notificada"])
        shown = down.client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("preparador"))
        for attempt, wait in enumerate(RETRY_AFTER, start=1):
            report = down.send(after=wait)
            item = _items(backend, line)["notificada"]
            assert item.email_attempts == attempt
            if attempt < len(RETRY_AFTER):
                assert report == OutboxReport(retrying=1)
                assert item.email_status == "pending"
        assert report == OutboxReport(failed=1)
        assert item.email_status == "failed"
        assert down.send(after=timedelta(days=30)) == OutboxReport()
        again = down.client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("preparador"))
        assert again.json() == shown.json()
        # The line goes on regardless: Íngrid still finds it in her inbox.
        awaiting = down.client.get(
            "/api/v1/inbox", headers=login(down.client, "notificada", PASSWORD)
        ).json()
        assert line["id"] in [entry["line"]["id"] for entry in awaiting]
    finally:
        down.close()


def test_the_running_service_mails_through_a_job(
    backend: Backend, auth: Auth, smtp: SmtpServer, officials: None
) -> None:
    """No periodic turn to wait for: the line's transaction queues a ``mail.send`` job, its
    commit wakes the runner, and the job mails the notice."""
    _drop_queued_mail_jobs(backend)
    running = mailing(backend, smtp)
    before = len(smtp.received)
    jobs_before = len(_mail_jobs(backend))
    # Its services share the module's database engine: not closed here, as the module's
    # own runner still uses it (the backend closes it at the end).
    with running.client as client:
        line = _line(client, auth, "Resolución enviada por el servicio", ["notificada"])
        (job,) = _mail_jobs(backend)[jobs_before:]
        done = wait_for_job(backend.services.sessions, job.id)
        (mail,) = smtp.wait_for(before + 1)[before:]
    assert done.state == "succeeded", done.error
    assert done.result == {"sent": 1, "no_address": 0, "retrying": 0, "failed": 0}
    assert mail.rcpt_tos == (INGRID,)
    assert _items(backend, line)["notificada"].email_status == "sent"


def test_a_job_retries_on_the_outboxs_schedule(
    backend: Backend, auth: Auth, officials: None
) -> None:
    """A server that is down: the job records the failure and queues the next run for when
    the item's next attempt is due (a minute after it was made), and that run mails it."""
    _drop_queued_mail_jobs(backend)
    server = SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD)  # not started yet
    down = mailing(backend, server)
    jobs_before = len(_mail_jobs(backend))
    try:
        with down.client as client:
            line = _line(client, auth, "Oficio que espera al servidor", ["notificada"])
            first = wait_for_job(backend.services.sessions, _mail_jobs(backend)[jobs_before].id)
            assert first.result == {"sent": 0, "no_address": 0, "retrying": 1, "failed": 0}
            item = _items(backend, line)["notificada"]
            assert (item.email_status, item.email_attempts) == ("pending", 1)
            (later,) = _mail_jobs(backend)[jobs_before + 1 :]
            assert later.state == "queued"
            assert abs(later.run_after - (item.created_at + RETRY_AFTER[1])) < timedelta(seconds=1)

            # The server is back, and a minute has passed: the queued run mails it.
            server.start()
            with backend.services.sessions() as db:
                db.execute(
                    update(InboxItem)
                    .where(InboxItem.id == item.id)
                    .values(created_at=item.created_at - RETRY_AFTER[1])
                )
                db.execute(update(Job).where(Job.id == later.id).values(run_after=utcnow()))
                db.commit()
            done = wait_for_job(backend.services.sessions, later.id)
            assert done.result == {"sent": 1, "no_address": 0, "retrying": 0, "failed": 0}
        (mail,) = server.received
        assert mail.rcpt_tos == (INGRID,)
        item = _items(backend, line)["notificada"]
        assert (item.email_status, item.email_attempts) == ("sent", 1)
    finally:
        server.stop()  # its services are the module's engine's, closed with the backend


def test_the_safety_net_queues_a_job_for_stranded_mail(
    mail_on: Mailing, backend: Backend, auth: Auth, smtp: SmtpServer
) -> None:
    """A job lost (here: cancelled) leaves its notice pending; the slow periodic task
    queues another, once."""
    _drop_queued_mail_jobs(backend)
    line = _line(mail_on.client, auth, "Oficio cuyo trabajo se perdió", ["notificada"])
    _drop_queued_mail_jobs(backend)
    jobs_before = len(_mail_jobs(backend))
    assert delivery.rescue(mail_on.services)
    assert not delivery.rescue(mail_on.services)  # one is queued now
    (rescued,) = _mail_jobs(backend)[jobs_before:]
    assert rescued.state == "queued"
    before = len(smtp.received)
    assert mail_on.send() == OutboxReport(sent=1)
    assert [m.rcpt_tos for m in _new_mail(smtp, before)] == [(INGRID,)]
    assert _items(backend, line)["notificada"].email_status == "sent"
    # Nothing due: nothing to rescue.
    _drop_queued_mail_jobs(backend)
    assert not delivery.rescue(mail_on.services)


def test_the_cli_sends_once(
    mail_on: Mailing, backend: Backend, auth: Auth, smtp: SmtpServer
) -> None:
    line = _line(mail_on.client, auth, "Oficio enviado desde la línea de órdenes", ["notificada"])
    before = len(smtp.received)
    settings = mail_on.services.settings
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        **backend.settings_env(),
        "DOCSVC_SMTP_HOST": settings.smtp_host,
        "DOCSVC_SMTP_PORT": str(settings.smtp_port),
        "DOCSVC_SMTP_SECURITY": "none",
        "DOCSVC_SMTP_USERNAME": SMTP_USER,
        "DOCSVC_SMTP_PASSWORD": SMTP_PASSWORD,
        "DOCSVC_SMTP_FROM": MAIL_FROM,
    }
    command = [sys.executable, "-m", "docsvc", "notifications", "send"]
    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert '"sent": 1' in result.stdout
    assert [m.rcpt_tos for m in _new_mail(smtp, before)] == [(INGRID,)]
    assert _items(backend, line)["notificada"].email_status == "sent"

    off = {k: v for k, v in environment.items() if not k.startswith("DOCSVC_SMTP_")}
    refused = subprocess.run(
        command, env=off, capture_output=True, text=True, timeout=120, check=False
    )
    assert refused.returncode == 2 and "e-mail is off" in refused.stderr


def test_starttls_is_required_unless_security_is_none(
    backend: Backend, auth: Auth, smtp: SmtpServer, officials: None
) -> None:
    """The default security asks for STARTTLS; a server that does not offer it gets
    neither the login nor the message."""
    before = len(smtp.received)
    strict = mailing(backend, smtp, SmtpSecurity.starttls)
    try:
        line = _line(strict.client, auth, "Oficio que exige TLS", ["notificada"])
        assert strict.send() == OutboxReport(retrying=1)
        item = _items(backend, line)["notificada"]
        assert item.email_error is not None and "STARTTLS" in item.email_error
        assert _new_mail(smtp, before) == []
        # Sent in clear once an operator says so (here, to the test's loopback server).
        relaxed = mailing(backend, smtp)
        try:
            assert relaxed.send(after=RETRY_AFTER[1]) == OutboxReport(sent=1)
        finally:
            relaxed.close()
    finally:
        strict.close()


def test_two_senders_at_once_mail_each_item_once(
    backend: Backend, auth: Auth, officials: None
) -> None:
    """Several service processes each run the outbox; PostgreSQL's row locks keep them from
    mailing the same item twice (the embedded SQLite default runs one process)."""
    if backend.name != "postgres-s3":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's")
    with SmtpServer(username=SMTP_USER, password=SMTP_PASSWORD, delay=0.3) as slow:
        senders = mailing(backend, slow)
        try:
            titles = [f"Resolución concurrente {n}" for n in range(4)]
            for title in titles:
                _line(senders.client, auth, title, ["notificada"])
            with ThreadPoolExecutor(2) as pool:
                runs = [pool.submit(send_pending, senders.services, batch_size=2) for _ in range(2)]
                reports = [run.result(timeout=60) for run in runs]
            assert sum(report.sent for report in reports) == 4
            subjects = sorted(str(m.message()["Subject"]) for m in slow.received)
            assert subjects == sorted(f"Firma pendiente: «{title}»" for title in titles)
        finally:
            senders.close()
