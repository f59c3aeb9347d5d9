"""``docsvc notifications``: the e-mail outbox."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from docsvc.cli.common import fail, load_settings
from docsvc.composition import build_services
from docsvc.notifications.outbox import send_pending

app = typer.Typer(no_args_is_help=True, help="E-mail copies of inbox notifications.")


@app.command("send")
def send() -> None:
    """Mail the notifications that are due, once. The service's job runners do this as
    soon as each notification is made, and on the retry schedule after; this is for trying
    again at once after fixing the mail server."""
    settings = load_settings()
    if not settings.smtp_enabled:
        fail("e-mail is off: set DOCSVC_SMTP_HOST and DOCSVC_SMTP_FROM", 2)
    services = build_services(settings)
    try:
        report = send_pending(services)
    finally:
        services.close()
    typer.echo(json.dumps(asdict(report)))
