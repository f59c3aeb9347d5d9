"""The registry receipt (justificante de registro): what the registry counter prints for
whoever delivers a letter, or keeps for what the office sent. It states the registry number,
the date and time of registration (the institution's local time), the office, the subject,
the sender or addressee and the document registered, with its verification code and a QR
code leading to the public verifier; the institution's seal makes it verifiable itself."""

from __future__ import annotations

import base64
import io
import uuid
from pathlib import Path

import qrcode  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.documents.html_pdf import html_pdf
from docsvc.locale import Translator
from docsvc.models import Department, Document
from docsvc.pki.sealed_pdf import seal_pdf
from docsvc.register.service import visible_entry
from docsvc.runtime.keyring import Keyring

TEMPLATES = Path(__file__).parent / "pdf_templates"


def _qr_data_url(text: str) -> str:
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def receipt_pdf(
    db: Session, keys: Keyring, actor: Actor, entry_id: uuid.UUID, t: Translator
) -> tuple[str, bytes]:
    """The entry's registry number and its receipt as a sealed, tagged PDF/A in ``t``'s
    language. Only who may see the entry gets it."""
    entry = visible_entry(db, actor, entry_id)
    department = db.get(Department, entry.department_id)
    document = db.get(Document, entry.document_id) if entry.document_id else None
    settings = keys.settings
    code = document.verification_code if document is not None else None
    verify_url = f"{settings.public_url.rstrip('/')}/verificar"
    title = t.gettext("Registry receipt")
    pdf = html_pdf(
        TEMPLATES,
        "receipt.html",
        t,
        {
            "title": title,
            "institution": settings.institution_name,
            "entry": entry,
            "department": department,
            "document": document,
            "code": code,
            "verify_url": verify_url,
            "qr": _qr_data_url(f"{verify_url}/{code}") if code else None,
        },
    )
    return entry.number, seal_pdf(db, keys, pdf, reason=title)
