"""The words for the values the services keep as English identifiers (document types,
statuses, purposes, the reasons of the versions they make, error codes, the attribute
names in a certificate's subject): for the pages (:mod:`docsvc.web.i18n` registers each as
a Jinja filter), the PDF reports and anything else that shows them to a person.

Each is a dict of literal ``_()`` / ``pgettext()`` calls, so that ``pybabel extract``
sees every message: no message key is ever built at run time. A value without a label is
shown as it is (an institution's own word, a reason a person typed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from docsvc.locale import Translator
from docsvc.models import Confidentiality, DocumentType
from signing.report import MOMENT_PARAMS, ReadingWarning, Reason


def doc_type_label(t: Translator, value: DocumentType | str) -> str:
    _ = t.gettext
    labels: dict[str, str] = {
        DocumentType.letter: _("Letter"),
        DocumentType.resolution: _("Resolution"),
        DocumentType.request: _("Request"),
        DocumentType.payment_order: _("Payment order"),
        DocumentType.report: _("Report"),
        DocumentType.other: _("Other"),
    }
    return labels.get(_value(value), _value(value))


def confidentiality_label(t: Translator, value: Confidentiality | str) -> str:
    _ = t.gettext
    labels: dict[str, str] = {
        Confidentiality.public: _("Public"),
        Confidentiality.internal: _("Internal"),
        Confidentiality.confidential: _("Confidential"),
    }
    return labels.get(_value(value), _value(value))


def dossier_status_label(t: Translator, value: object) -> str:
    labels = {
        "open": t.pgettext("dossier status", "open"),
        "closed": t.pgettext("dossier status", "closed"),
    }
    return labels.get(_value(value), _value(value))


def archive_level_label(t: Translator, value: object) -> str:
    """A level of the classification scheme (ISAD(G)), as the archive names it."""
    labels = {
        "fonds": t.pgettext("archive level", "fonds"),
        "section": t.pgettext("archive level", "section"),
        "subsection": t.pgettext("archive level", "subsection"),
        "series": t.pgettext("archive level", "series"),
        "subseries": t.pgettext("archive level", "subseries"),
    }
    return labels.get(_value(value), _value(value))


def disposition_label(t: Translator, value: object) -> str:
    """What happens to a series' records when their retention ends (disposición final)."""
    labels = {
        "keep": t.pgettext("disposition", "Keep permanently"),
        "destroy": t.pgettext("disposition", "Destroy"),
        "sample": t.pgettext("disposition", "Keep a sample"),
        "digitize": t.pgettext("disposition", "Digitize"),
    }
    return labels.get(_value(value), _value(value))


def trigger_label(t: Translator, value: object) -> str:
    """What starts a record's retention count."""
    labels = {
        "closing": t.pgettext("retention trigger", "Closing of the dossier"),
        "date": t.pgettext("retention trigger", "A recorded date"),
        "event": t.pgettext("retention trigger", "An event"),
    }
    return labels.get(_value(value), _value(value))


def table_state_label(t: Translator, value: object) -> str:
    """A retention table's state."""
    labels = {
        "draft": t.pgettext("retention table state", "draft"),
        "approved": t.pgettext("retention table state", "approved"),
        "in_force": t.pgettext("retention table state", "in force"),
        "superseded": t.pgettext("retention table state", "superseded"),
    }
    return labels.get(_value(value), _value(value))


def archive_phase_label(t: Translator, value: object) -> str:
    """Where a record is in its life cycle."""
    labels = {
        "office": t.pgettext("archive phase", "Office archive"),
        "central": t.pgettext("archive phase", "Central archive"),
        "historical": t.pgettext("archive phase", "Historical archive"),
        "disposed": t.pgettext("archive phase", "Destroyed"),
    }
    return labels.get(_value(value), _value(value))


def archive_transfer_state_label(t: Translator, value: object) -> str:
    """Where an archival transfer is: its inventory prepared, signed and sent, or received
    by the archive."""
    labels = {
        "prepared": t.pgettext("archive transfer state", "prepared"),
        "sent": t.pgettext("archive transfer state", "sent"),
        "received": t.pgettext("archive transfer state", "received"),
    }
    return labels.get(_value(value), _value(value))


def archive_transfer_kind_label(t: Translator, value: object) -> str:
    """Which archival transfer: an office's to the central archive, or the central
    archive's to the historical archive."""
    labels = {
        "primary": t.pgettext("archive transfer", "Primary (to the central archive)"),
        "secondary": t.pgettext("archive transfer", "Secondary (to the historical archive)"),
    }
    return labels.get(_value(value), _value(value))


def loan_status_label(t: Translator, value: object) -> str:
    """Where a loan of an archived record is."""
    labels = {
        "requested": t.pgettext("loan status", "requested"),
        "lent": t.pgettext("loan status", "lent"),
        "returned": t.pgettext("loan status", "returned"),
        "refused": t.pgettext("loan status", "refused"),
    }
    return labels.get(_value(value), _value(value))


def hold_state_label(t: Translator, value: object) -> str:
    """Whether a legal hold is in effect."""
    labels = {
        "active": t.pgettext("legal hold state", "in effect"),
        "released": t.pgettext("legal hold state", "released"),
    }
    return labels.get(_value(value), _value(value))


def disposal_status_label(t: Translator, value: object) -> str:
    """Where a disposal proposal is."""
    labels = {
        "proposed": t.pgettext("disposal status", "proposed"),
        "approved": t.pgettext("disposal status", "approved"),
        "executed": t.pgettext("disposal status", "carried out"),
    }
    return labels.get(_value(value), _value(value))


def disposal_outcome_label(t: Translator, value: object) -> str:
    """What a disposal did to one record; nothing yet before it is carried out."""
    labels = {
        "": t.pgettext("disposal outcome", "not carried out yet"),
        "destroyed": t.pgettext("disposal outcome", "Destroyed: its description remains"),
        "historical": t.pgettext("disposal outcome", "Kept for the historical archive"),
        "held": t.pgettext("disposal outcome", "Kept: under a legal hold"),
    }
    return labels.get(_value(value), _value(value))


def direction_label(t: Translator, value: object) -> str:
    _ = t.gettext
    labels = {"incoming": _("Incoming"), "outgoing": _("Outgoing")}
    return labels.get(_value(value), _value(value))


def purpose_label(t: Translator, value: object) -> str:
    _ = t.gettext
    labels = {
        "action": _("For action"),
        "information": _("For information"),
        "signature": _("For signature"),
        "reply": _("Reply"),
    }
    return labels.get(_value(value), _value(value))


def receipt_label(t: Translator, value: object) -> str:
    labels = {
        "acknowledged": t.pgettext("receipt", "acknowledged"),
        "returned": t.pgettext("receipt", "returned"),
    }
    return labels.get(_value(value), _value(value))


def event_label(t: Translator, value: object) -> str:
    """A register event's kind, as the case timeline names it."""
    _ = t.gettext
    labels = {
        "register.entry": t.pgettext("register event", "Register entry"),
        "register.annul": _("Entry annulled"),
        "transfer": _("Transfer with a signed note"),
        "receipt": _("Signed receipt"),
        "document.version": _("New document version"),
        "document.signature": _("Signature"),
        "dossier.sealed": _("Dossier sealed"),
        "dossier.closed": _("Dossier closed"),
        "archive.dossier_seal": _("Dossier sealed"),
        "archive.dossier_close": _("Dossier closed"),
        "archive.filing": _("Filed under a series of the classification scheme"),
        "archive.trigger": _("Start of the retention count recorded"),
    }
    return labels.get(_value(value), _value(value))


def line_status_label(t: Translator, value: object) -> str:
    labels = {
        "draft": t.pgettext("signing line status", "draft"),
        "in_signature": t.pgettext("signing line status", "in signature"),
        "signed": t.pgettext("signing line status", "signed"),
        "rejected": t.pgettext("signing line status", "rejected"),
        "cancelled": t.pgettext("signing line status", "cancelled"),
    }
    return labels.get(_value(value), _value(value))


def signer_status_label(t: Translator, value: object) -> str:
    labels = {
        "pending": t.pgettext("signer status", "pending"),
        "signed": t.pgettext("signer status", "signed"),
        "not_needed": t.pgettext("signer status", "not needed"),
    }
    return labels.get(_value(value), _value(value))


def batch_status_label(t: Translator, value: object) -> str:
    labels = {
        "queued": t.pgettext("batch status", "Queued"),
        "running": t.pgettext("batch status", "Signing…"),
        "finished": t.pgettext("batch status", "Finished"),
        "failed": t.pgettext("batch status", "Failed"),
        "interrupted": t.pgettext("batch status", "Interrupted: resume it with your PIN"),
    }
    return labels.get(_value(value), _value(value))


def batch_item_kind_label(t: Translator, value: object) -> str:
    _ = t.gettext
    labels = {"document": _("Document"), "dossier": _("Dossier"), "line": _("Signing line")}
    return labels.get(_value(value), _value(value))


def batch_item_status_label(t: Translator, value: object) -> str:
    labels = {
        "pending": t.pgettext("batch item status", "pending"),
        "signed": t.pgettext("batch item status", "signed"),
        "failed": t.pgettext("batch item status", "failed"),
    }
    return labels.get(_value(value), _value(value))


def role_label(t: Translator, value: object) -> str:
    """A user's role in words."""
    labels = {
        "official": t.pgettext("role", "official"),
        "registry_clerk": t.pgettext("role", "registry clerk"),
        "legal": t.pgettext("role", "legal staff"),
        "archivist": t.pgettext("role", "archivist"),
        "archive_committee": t.pgettext("role", "archive committee member"),
        "admin": t.pgettext("role", "administrator"),
        "auditor": t.pgettext("role", "auditor"),
    }
    return labels.get(_value(value), _value(value))


def step_role_label(t: Translator, value: str | None) -> str:
    """A signing step's role: the three stock words are translated, an institution's own
    word is shown as it was typed."""
    labels = {
        "prepared": t.pgettext("signing step", "Prepared"),
        "reviewed": t.pgettext("signing step", "Reviewed"),
        "approved": t.pgettext("signing step", "Approved"),
    }
    return labels.get(value or "", value or "")


def notice_text(t: Translator, value: object) -> str:
    """The notice a page shows after an action that succeeded (``?hecho=``)."""
    _ = t.gettext
    labels = {
        "signed": _("Signed. The document has a new version with your signature."),
        "rejected": _("Rejected. The requester has been told."),
        "acknowledged": _("Receipt signed and registered."),
        "returned": _("Returned with your reason, in a signed receipt."),
        "sent": _("Transfer sent with your signed note."),
        "signing_session_opened": _(
            "Signing session open: until it ends you sign without typing the PIN."
        ),
        "signing_session_locked": _("Signing session locked: the next signature asks for the PIN."),
        "registered": _("Document registered."),
        "uploaded": _("Document uploaded: this is its version 1."),
        "version_added": _("New version uploaded."),
        "dossier_created": _("Dossier opened."),
        "document_added": _("Document added to the dossier."),
        "moved": _("Order changed."),
        "closed": _("Dossier closed."),
        "seal_requested": _("Sealing requested: the signed index will appear here shortly."),
        "line_created": _("Signatures requested: the first step has been notified."),
        "resubmitted": _("Sent again: the line starts from its first step."),
        "cancelled": _("Signature request cancelled."),
        "stand_in_named": _("Stand-in named."),
        "user_created": _("User created."),
        "user_changed": _("User changed."),
        "password_reset": _("Password reset: the user's sessions have ended."),
        "credential_issued": _("Signing credential issued."),
        "credential_revoked": _("Signing credential revoked; its certificate is revoked."),
        "department_created": _("Department created."),
        "position_created": _("Position created."),
        "holiday_added": _("Holiday added."),
        "holiday_removed": _("Holiday removed."),
        "scheme_imported": _("New version of the classification scheme imported."),
        "table_drafted": _("Retention table drafted: the archive committee approves it."),
        "table_approved": _("Retention table approved with your signature."),
        "table_in_force": _("Retention table put in force with your signature."),
        "filed": _("Dossier filed under the series."),
        "secondary_prepared": _(
            "Secondary transfer inventory prepared: sign it and send it to the historical archive."
        ),
        "trigger_recorded": _("Date recorded: the retention table gives the record its dates."),
        "transfer_prepared": _("Inventory prepared: sign it and send it to the archive."),
        "transfer_sent": _(
            "Inventory signed and sent to the archive: the transfer is complete when the "
            "archive acknowledges it."
        ),
        "loan_requested": _("Loan requested: the archive decides on it."),
        "loan_lent": _("Loan approved until its return date."),
        "loan_refused": _("Loan refused."),
        "loan_returned": _("Return recorded: the record is back in the archive."),
        "loan_extended": _("Loan extended until its new return date."),
        "hold_placed": _("Legal hold placed: what it covers cannot be disposed of."),
        "hold_released": _("Legal hold released."),
        "fixity_requested": _("Fixity check started: it reads every stored file in turn."),
        "export_requested": _(
            "Archival package asked for: a job makes it, and it appears on this page when ready."
        ),
        "import_requested": _(
            "Package received: a job checks it and imports it; this page shows how it goes."
        ),
        "renewal_requested": _(
            "Review of the signatures started: it reads what changed and renews what is due."
        ),
        "disposal_proposed": _("Disposal proposed: the archive committee approves it."),
        "disposal_approved": _("Disposal approved with your signature."),
        "disposal_executed": _("Disposal carried out: its signed record can be downloaded below."),
    }
    return labels.get(_value(value), "")


def admin_warning_text(t: Translator, value: object) -> str:
    _ = t.gettext
    labels = {
        "dev_mode_warning": _(
            "Development mode: signatures use this installation's development PKI, not a "
            "trust service provider's."
        ),
        "dev_public_secret_warning": _(
            "The institution's keys and forms are protected by the public development "
            "secret: anyone can decrypt them. Set DOCSVC_SECRET_KEY."
        ),
    }
    return labels.get(_value(value), _value(value))


# The reasons the services write on versions they make (``DocumentVersion.reason``); a
# reason a person typed is shown as typed.
_SIGNED_BY = re.compile(
    r"signed by (?P<name>.+) \((?P<level>[^,()]+), (?P<kind>approval|certification)\)"
)
_INDEX_VERSION = re.compile(r"index version (?P<number>\d+): the dossier was signed again")


def inbox_message(
    t: Translator, kind: str, params: Mapping[str, str] | None, legacy: str = ""
) -> str:
    """A notice in the inbox (and its e-mail) in ``t``'s language, from its kind and
    parameters; a notice stored before it had parameters keeps its own words."""
    if params is None:
        return legacy
    title = params.get("title", "")
    if kind == "to_sign" and params.get("stand_in"):
        return t.gettext("«%(title)s» awaits your signature (as a stand-in).", title=title)
    if kind == "to_sign":
        return t.gettext("«%(title)s» awaits your signature.", title=title)
    if kind == "signed":
        return t.gettext("«%(title)s» is signed.", title=title)
    if kind == "transfer_due":
        return t.gettext(
            "«%(title)s», sent by %(sender)s, is due on %(day)s.",
            title=title,
            sender=params.get("from", ""),
            day=t.format_date(params.get("due_on", ""), "long"),
        )
    if kind == "rejected":
        return t.gettext(
            "%(who)s returned «%(title)s»: %(reason)s",
            who=params.get("who", ""),
            title=title,
            reason=params.get("reason", ""),
        )
    return legacy or title


def audit_action_label(t: Translator, action: str) -> str:
    """An audit event's action in words; an action without words (a new one) is shown as
    its identifier."""
    _ = t.gettext
    labels = {
        "access.denied": _("Access denied"),
        "archive.classification.import": _("Classification scheme version imported"),
        "archive.retention.draft": _("Retention table drafted"),
        "archive.retention.approved": _("Retention table approved"),
        "archive.retention.in_force": _("Retention table put in force"),
        "archive.file": _("Record filed under a series"),
        "archive.trigger": _("Start of a record's retention count recorded"),
        "archive.transfer.prepare": _("Archival transfer inventory prepared"),
        "archive.transfer.send": _("Archival transfer sent"),
        "archive.transfer.receive": _("Archival transfer received"),
        "archive.loan.request": _("Loan requested"),
        "archive.loan.lend": _("Loan approved"),
        "archive.loan.refuse": _("Loan refused"),
        "archive.loan.extend": _("Loan extended"),
        "archive.loan.return": _("Loan returned"),
        "archive.hold.place": _("Legal hold placed"),
        "archive.hold.release": _("Legal hold released"),
        "archive.disposal.propose": _("Disposal proposed"),
        "archive.disposal.approve": _("Disposal approved"),
        "archive.disposal.execute": _("Disposal carried out"),
        "audit.query": _("Audit trail consulted"),
        "audit.export": _("Audit trail exported"),
        "auth.login": _("Logged in"),
        "auth.login_failed": _("Failed login"),
        "auth.logout": _("Logged out"),
        "auth.account_locked": _("Account locked after failed logins"),
        "auth.sessions_ended": _("Sessions ended"),
        "batch.create": _("Batch signing started"),
        "batch.resume": _("Batch signing resumed"),
        "department.create": _("Department created"),
        "department.list": _("Departments listed"),
        "document.create": _("Document uploaded"),
        "document.download": _("Document downloaded"),
        "document.list": _("Documents searched"),
        "document.read": _("Document consulted"),
        "document.sign": _("Document signed"),
        "document.sign_prepare": _("Signature prepared (card)"),
        "document.version_add": _("New version uploaded"),
        "dossier.add_document": _("Document added to a dossier"),
        "dossier.close": _("Dossier closed"),
        "dossier.create": _("Dossier opened"),
        "dossier.list": _("Dossiers listed"),
        "dossier.move_document": _("Dossier reordered"),
        "dossier.read": _("Dossier consulted"),
        "dossier.seal": _("Dossier sealed by its signed index"),
        "dossier.seal_request": _("Dossier seal requested"),
        "pki.revoke": _("Certificate revoked"),
        "position.create": _("Position created"),
        "position.list": _("Positions listed"),
        "register.annul": _("Register entry annulled"),
        "register.checkpoint": _("Register checkpoint signed"),
        "register.entry": _("Document registered"),
        "register.leaf_details": _("Register details consulted"),
        "role_request.list": _("Role requests listed"),
        "signing.lock": _("Signing session closed"),
        "signing.unlock": _("Signing session opened"),
        "signing.pin_lockout": _("Signing key locked after wrong PINs"),
        "signing_line.cancel": _("Signature request cancelled"),
        "signing_line.complete": _("Signature request completed"),
        "signing_line.create": _("Signatures requested"),
        "signing_line.reject": _("Signature request returned"),
        "signing_line.resubmit": _("Signature request sent again"),
        "signing_line.sign": _("Signed in a signing line"),
        "signing_line.submit": _("Signature request submitted"),
        "stand_in.name": _("Stand-in named"),
        "store.orphans_removed": _("Orphan files removed from the store"),
        "fixity.requested": _("Fixity check started"),
        "fixity.mismatch": _("Stored file changed"),
        "fixity.missing": _("Stored file missing"),
        "fixity.restored": _("Stored file intact again"),
        "transfer.send": _("Transfer sent"),
        "transfer.acknowledge": _("Transfer acknowledged"),
        "transfer.return": _("Transfer returned"),
        "user.activate": _("User activated"),
        "user.create": _("User created"),
        "user.deactivate": _("User deactivated"),
        "user.list": _("Users listed"),
        "user.password_change": _("Password changed"),
        "user.password_set": _("Password reset by an administrator"),
        "user.role_approved": _("Role approved"),
        "user.role_grant": _("Role granted"),
        "user.role_rejected": _("Role refused"),
        "user.role_requested": _("Role requested"),
    }
    return labels.get(action, action)


def audit_outcome_label(t: Translator, outcome: str) -> str:
    labels = {
        "ok": t.pgettext("audit outcome", "done"),
        "denied": t.pgettext("audit outcome", "denied"),
        "pending": t.pgettext("audit outcome", "pending"),
    }
    return labels.get(outcome, outcome)


def version_reason(t: Translator, reason: str) -> str:
    """A version's reason in words (the service stores them in English)."""
    _ = t.gettext
    if reason == "created":
        return _("Document created")
    if found := _SIGNED_BY.fullmatch(reason):
        kinds = {"approval": _("approval"), "certification": _("certification")}
        return _(
            "Signed by %(name)s (%(level)s, %(kind)s)",
            name=found["name"],
            level=found["level"],
            kind=kinds[found["kind"]],
        )
    if found := _INDEX_VERSION.fullmatch(reason):
        return _("Index version %(number)s: the dossier was signed again", number=found["number"])
    return reason


# The verification report: reasons and warnings ---------------------------------------------
#
# A reason is a code with parameters (``signing.report.Reason``, docs/contracts.md); each
# code has its sentence here, and nowhere else. English is the msgid, with the words the
# report has always used (programs that read English reasons keep working); moments
# (``signing.report.MOMENT_PARAMS``) are shown in the reader's time zone. Where a code's
# sentence depends on its parameters, each form is a whole sentence of its own; the words a
# parameter stands for (a revocation reason, a key usage) have their own messages.


class _Params:
    """A reason's parameters, ready for a sentence in ``t``'s language."""

    def __init__(self, t: Translator, params: Mapping[str, Any]) -> None:
        self.t = t
        self.raw = {str(k): "" if v is None else str(v) for k, v in params.items()}

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def get(self, name: str, default: str = "") -> str:
        value = self.raw.get(name, default)
        if name in MOMENT_PARAMS and value:
            return self.t.format_datetime(value, "long")
        return value

    def name(self, name: str) -> str:
        """A certificate's subject or issuer, its attribute names in the reader's words."""
        return certificate_name(self.t, self.raw.get(name, ""))

    def certificate(self) -> str:
        if self.raw.get("certificate") == "ca":
            return self.t.gettext("a CA certificate in the signer's chain")
        return self.t.gettext("the signer's certificate")

    def time(self) -> str:
        if self.raw.get("time") == "proven":
            return self.t.gettext("the timestamped signing time")
        return self.t.gettext("the signing time the signer claims")

    def revocation_reason(self) -> str:
        value = self.raw.get("revocation_reason") or "unspecified"
        return _revocation_reasons(self.t).get(value, value.replace("_", " "))

    def key_usage(self) -> str:
        words = _key_usages(self.t)
        usages = [u.strip() for u in self.raw.get("key_usage", "").split(",") if u.strip()]
        if not usages or usages == ["none"]:
            return self.t.pgettext("key usage", "none")
        return ", ".join(words.get(u, u) for u in usages)

    def modifications(self) -> str:
        value = self.raw.get("modifications") or "other"
        return _modifications(self.t).get(value, value)


def _revocation_reasons(t: Translator) -> dict[str, str]:
    """RFC 5280's CRL reason codes."""
    return {
        "unspecified": t.pgettext("revocation reason", "unspecified"),
        "key_compromise": t.pgettext("revocation reason", "key compromise"),
        "ca_compromise": t.pgettext("revocation reason", "CA compromise"),
        "affiliation_changed": t.pgettext("revocation reason", "affiliation changed"),
        "superseded": t.pgettext("revocation reason", "superseded"),
        "cessation_of_operation": t.pgettext("revocation reason", "cessation of operation"),
        "certificate_hold": t.pgettext("revocation reason", "certificate hold"),
        "remove_from_crl": t.pgettext("revocation reason", "remove from CRL"),
        "privilege_withdrawn": t.pgettext("revocation reason", "privilege withdrawn"),
        "aa_compromise": t.pgettext("revocation reason", "AA compromise"),
    }


def _key_usages(t: Translator) -> dict[str, str]:
    """asn1crypto's names of the key usages, as the English report has always shown them."""
    return {
        "digital_signature": t.pgettext("key usage", "digital_signature"),
        "non_repudiation": t.pgettext("key usage", "non_repudiation"),
        "key_encipherment": t.pgettext("key usage", "key_encipherment"),
        "data_encipherment": t.pgettext("key usage", "data_encipherment"),
        "key_agreement": t.pgettext("key usage", "key_agreement"),
        "key_cert_sign": t.pgettext("key usage", "key_cert_sign"),
        "crl_sign": t.pgettext("key usage", "crl_sign"),
        "encipher_only": t.pgettext("key usage", "encipher_only"),
        "decipher_only": t.pgettext("key usage", "decipher_only"),
    }


def _modifications(t: Translator) -> dict[str, str]:
    """What pyHanko's difference analysis calls the changes after a signature, as the
    English reason has always named them."""
    return {
        "none": t.pgettext("changes after signing", "none"),
        "lta_updates": t.pgettext("changes after signing", "lta_updates"),
        "form_filling": t.pgettext("changes after signing", "form_filling"),
        "annotations": t.pgettext("changes after signing", "annotations"),
        "other": t.pgettext("changes after signing", "other"),
    }


def _reason_sentences(t: Translator, p: _Params) -> dict[str, Callable[[], str]]:
    """The one table: each reason code of ``signing.report.CODES`` and its sentence."""
    _ = t.gettext

    def revoked() -> str:
        words = {
            "certificate": p.certificate(),
            "revoked_at": p.get("revoked_at"),
            "revocation_reason": p.revocation_reason(),
            "time": p.time(),
            "signed_at": p.get("signed_at"),
        }
        if p.raw.get("order") == "after":
            return _(
                "%(certificate)s was revoked on %(revoked_at)s (%(revocation_reason)s), after "
                "%(time)s (%(signed_at)s), but no timestamp proves the signature was made "
                "before the revocation",
                **words,
            )
        if "signed_at" in p:
            return _(
                "%(certificate)s was revoked on %(revoked_at)s (%(revocation_reason)s), before "
                "%(time)s (%(signed_at)s)",
                **words,
            )
        words.pop("signed_at")
        return _(
            "%(certificate)s was revoked on %(revoked_at)s (%(revocation_reason)s), before "
            "%(time)s",
            **words,
        )

    def expired() -> str:
        if "signed_at" in p:
            return _(
                "the signer's certificate had expired when the document was signed: it expired "
                "on %(not_after)s, and %(time)s is %(signed_at)s",
                not_after=p.get("not_after"),
                time=p.time(),
                signed_at=p.get("signed_at"),
            )
        return _(
            "the signer's certificate is valid only from %(not_before)s to %(not_after)s, and "
            "no timestamp proves the signature was made then",
            not_before=p.get("not_before"),
            not_after=p.get("not_after"),
        )

    def unknown_issuer() -> str:
        issuer = p.name("issuer")
        if "missing" in p:
            return _(
                "untrusted: no configured trust anchor issued the signer's certificate (its "
                "issuer: %(issuer)s); the certificate of %(missing)s is neither a trust anchor "
                "nor in the file",
                issuer=issuer,
                missing=p.name("missing"),
            )
        if "root" in p and p.raw["root"] == p.raw.get("issuer"):
            return _(
                "untrusted: no configured trust anchor issued the signer's certificate (its "
                "issuer: %(issuer)s, a root that is not a trust anchor)",
                issuer=issuer,
            )
        if "root" in p:
            return _(
                "untrusted: no configured trust anchor issued the signer's certificate (its "
                "issuer: %(issuer)s); its chain ends at the root %(root)s, which is not a trust "
                "anchor",
                issuer=issuer,
                root=p.name("root"),
            )
        return _(
            "untrusted: no configured trust anchor issued the signer's certificate (its "
            "issuer: %(issuer)s)",
            issuer=issuer,
        )

    def form_value() -> str:
        if "state" in p:
            return _(
                "form field '%(field)s' shows the state %(state)s, not its value %(value)s",
                field=p.get("field"),
                state=p.get("state"),
                value=p.get("value"),
            )
        return _(
            "form field '%(field)s' shows '%(shown)s', not its value '%(value)s'",
            field=p.get("field"),
            shown=p.get("shown"),
            value=p.get("value"),
        )

    def visible_content() -> str:
        if "error" in p:
            return _(
                "the form was changed after signing and the pages cannot be drawn to compare "
                "them: %(error)s",
                error=p.get("error"),
            )
        return _(
            "page %(page)s shows content that differs from what was signed, outside the form "
            "fields filled in after signing",
            page=p.get("page"),
        )

    def unreadable() -> str:
        stage = p.raw.get("stage")
        if stage == "dictionary":
            return _("the signature value is not a dictionary")
        if stage == "verify":
            return _("the signature cannot be verified")
        return _("the signature cannot be read")

    def stand_in() -> str:
        if p.get("position"):
            return _(
                "signed by %(signer)s as stand-in for %(principal)s (%(position)s)",
                signer=p.get("signer"),
                principal=p.get("principal"),
                position=p.get("position"),
            )
        return _(
            "signed by %(signer)s as stand-in for %(principal)s",
            signer=p.get("signer"),
            principal=p.get("principal"),
        )

    return {
        "no_signature": lambda: _("the document has no signature"),
        "hash_failure": lambda: _("the signed bytes were changed after signing"),
        "signature_crypto_failure": lambda: _("the cryptographic signature does not verify"),
        "timestamp_hash_failure": lambda: _("the signature timestamp does not match the signature"),
        "timestamp_crypto_failure": lambda: _(
            "the signature timestamp's own signature does not verify"
        ),
        "timestamp_untrusted": lambda: _(
            "untrusted timestamp: the timestamp authority's certificate is not valid under the "
            "configured trust anchors"
        ),
        "timestamp_authority_expired": lambda: _(
            "the timestamp authority's certificate expired on %(not_after)s and no archive "
            "timestamp renewed before then covers the signature, so its timestamp no longer "
            "proves when it was made",
            not_after=p.get("not_after"),
        ),
        "certificate_revoked": revoked,
        "certificate_expired": expired,
        "certificate_not_yet_valid": lambda: _(
            "the signer's certificate was not yet valid when the document was signed: it is "
            "valid from %(not_before)s, and %(time)s is %(signed_at)s",
            not_before=p.get("not_before"),
            time=p.time(),
            signed_at=p.get("signed_at"),
        ),
        "self_signed": lambda: _(
            "untrusted: the signer's certificate is self-signed (%(certificate)s) and is not "
            "among the configured trust anchors",
            certificate=p.name("certificate"),
        ),
        "unknown_issuer": unknown_issuer,
        "key_usage": lambda: _(
            "untrusted: the signer's certificate is not meant for signing (its key usage: "
            "%(key_usage)s)",
            key_usage=p.key_usage(),
        ),
        "not_a_ca": lambda: _(
            "untrusted: %(certificate)s issued a certificate in the signer's chain but is not a "
            "certification authority",
            certificate=p.name("certificate"),
        ),
        "chain_constraints": lambda: _(
            "untrusted: the signer's certificate chain breaks a constraint of its issuers"
        ),
        "weak_algorithm": lambda: _("untrusted: the chain uses an algorithm no longer accepted"),
        "no_revocation_info": lambda: _(
            "untrusted: no usable revocation information for the signer's certificate"
        ),
        "chain_invalid": lambda: _("untrusted: the signer's certificate chain is not valid"),
        "modified_after_signing": lambda: _(
            "the document was modified after signing (%(modifications)s)",
            modifications=p.modifications(),
        ),
        "certification_violated": lambda: _(
            "the document was changed in a way its certification signature does not allow"
        ),
        "appended_content": lambda: _(
            "%(size)s bytes holding PDF objects were appended after the last revision without "
            "a valid cross-reference section: readers that repair files show them",
            size=p.get("size"),
        ),
        "form_appearance_changed": lambda: _(
            "the appearance of form field '%(field)s' was replaced after signing while its "
            "value stayed as signed: the page no longer shows what was signed",
            field=p.get("field"),
        ),
        "form_value_mismatch": form_value,
        "form_uncovers_content": lambda: _(
            "filling in form field '%(field)s' after signing uncovered page content that its "
            "signed appearance hid",
            field=p.get("field"),
        ),
        "visible_content_changed": visible_content,
        "signature_unreadable": unreadable,
        "unsupported_signature_format": lambda: _(
            "the signature format %(subfilter)s is not supported", subfilter=p.get("subfilter")
        ),
        "no_signing_certificate": lambda: _(
            "the signer's certificate is neither in the signature nor in the file"
        ),
        "signature_algorithm_mismatch": lambda: _(
            "the signature cannot be checked with the algorithm it declares"
        ),
        "stand_in": stand_in,
        "revoked_later": lambda: _(
            "the signer's certificate was revoked later, on %(revoked_at)s; the timestamp proves "
            "the signature was made before, on %(proven_at)s",
            revoked_at=p.get("revoked_at"),
            proven_at=p.get("proven_at"),
        ),
    }


def reason_codes_worded(t: Translator) -> frozenset[str]:
    """The codes the table words (a test holds it to ``signing.report.CODES``)."""
    return frozenset(_reason_sentences(t, _Params(t, {})))


def verification_reason(t: Translator, reason: Reason | Mapping[str, Any]) -> str:
    """A verification reason in the reader's words: a ``signing.report.Reason``, or a
    report's ``reason_details`` item (``{"code", "params", ...}``). English keeps the
    report's lower-case sentences; other languages start with a capital. A code without a
    sentence (from a newer verifier) shows the item's ``message``, or the code."""
    if isinstance(reason, Reason):
        code, params, message = reason.code, reason.parameters, ""
    else:
        code = str(reason.get("code", ""))
        raw = reason.get("params") or {}
        params = dict(raw) if isinstance(raw, Mapping) else {}
        message = str(reason.get("message") or "")
    if "detail" in params and len(params) == 1:
        # A finding whose parameters could not be read: only its English sentence is known.
        return params["detail"]
    sentence = _reason_sentences(t, _Params(t, params)).get(code)
    if sentence is None:
        return message or code.replace("_", " ")
    text = sentence()
    if t.locale == "en":
        return text
    return text[:1].upper() + text[1:]


def reading_warning(t: Translator, warning: ReadingWarning | Mapping[str, Any]) -> str:
    """A deviation the verifier read leniently (``signing.lenient_reading``), in words."""
    if isinstance(warning, ReadingWarning):
        code, subject, message = warning.code, warning.subject, warning.message
    else:
        code = str(warning.get("code", ""))
        subject = str(warning.get("subject", ""))
        message = str(warning.get("message", ""))
    _ = t.gettext
    sentences: dict[str, Callable[[], str]] = {
        "timestamp_dictionary_type": lambda: _(
            "The document timestamp in field %(subject)s does not say /DocTimeStamp, as the "
            "standard asks; it was verified as one.",
            subject=subject,
        ),
        "signature_dictionary_type": lambda: _(
            "The signature in field %(subject)s has a type other than /Sig; it was verified as "
            "a signature.",
            subject=subject,
        ),
        "dangling_reference": lambda: _(
            "The file refers to object %(subject)s, which does not exist; it was read as null, "
            "as the PDF standard says.",
            subject=subject,
        ),
        "field_name_period": lambda: _(
            "The form field name %(subject)s contains a period, which the PDF standard forbids.",
            subject=subject,
        ),
        "trailing_bytes": lambda: _(
            "The %(subject)s bytes after the end of the file are not part of it.",
            subject=subject,
        ),
        "signing_certificate_outside_signature": lambda: _(
            "The signature in field %(subject)s does not hold its signer's certificate; it was "
            "taken from the document's security store (DSS).",
            subject=subject,
        ),
        "pdf_syntax": lambda: _(
            "The file departs from the PDF syntax at a point that was read leniently."
        ),
    }
    sentence = sentences.get(code)
    if sentence is not None:
        return sentence()
    return message if t.locale == "en" and message else sentences["pdf_syntax"]()


def _certificate_labels(t: Translator) -> dict[str, str]:
    """asn1crypto's names of a certificate's name attributes (``Name.human_friendly``)."""
    return {
        "Common Name": t.pgettext("certificate name", "Common Name"),
        "Surname": t.pgettext("certificate name", "Surname"),
        "Given Name": t.pgettext("certificate name", "Given Name"),
        "Serial Number": t.pgettext("certificate name", "Serial Number"),
        "Country": t.pgettext("certificate name", "Country"),
        "Locality": t.pgettext("certificate name", "Locality"),
        "State/Province": t.pgettext("certificate name", "State/Province"),
        "Street Address": t.pgettext("certificate name", "Street Address"),
        "Organization": t.pgettext("certificate name", "Organization"),
        "Organizational Unit": t.pgettext("certificate name", "Organizational Unit"),
        "Organization Identifier": t.pgettext("certificate name", "Organization Identifier"),
        "Title": t.pgettext("certificate name", "Title"),
        "Business Category": t.pgettext("certificate name", "Business Category"),
        "Postal Code": t.pgettext("certificate name", "Postal Code"),
        "Telephone Number": t.pgettext("certificate name", "Telephone Number"),
        "Name": t.pgettext("certificate name", "Name"),
        "Initials": t.pgettext("certificate name", "Initials"),
        "Generation Qualifier": t.pgettext("certificate name", "Generation Qualifier"),
        "Unique Identifier": t.pgettext("certificate name", "Unique Identifier"),
        "DN Qualifier": t.pgettext("certificate name", "DN Qualifier"),
        "Pseudonym": t.pgettext("certificate name", "Pseudonym"),
        "Email Address": t.pgettext("certificate name", "Email Address"),
        "Incorporation Locality": t.pgettext("certificate name", "Incorporation Locality"),
        "Incorporation State/Province": t.pgettext(
            "certificate name", "Incorporation State/Province"
        ),
        "Incorporation Country": t.pgettext("certificate name", "Incorporation Country"),
        "Domain Component": t.pgettext("certificate name", "Domain Component"),
        "Name Distinguisher": t.pgettext("certificate name", "Name Distinguisher"),
        "User ID": t.pgettext("certificate name", "User ID"),
    }


# "Label: value" after the start or a separator; a label asn1crypto does not name, or
# text inside a value, is left as it is.
_NAME_LABEL = re.compile(r"(^|, |; )([A-Z][A-Za-z/ ]*?): ")


def certificate_name(t: Translator, name: str | None) -> str:
    """A certificate's subject or issuer, "Common Name: X, Organization: Y", with the
    attribute names in the reader's language."""
    if not name:
        return ""
    labels = _certificate_labels(t)
    return _NAME_LABEL.sub(lambda m: f"{m[1]}{labels.get(m[2], m[2])}: ", name)


def error_message(t: Translator, code: str) -> str | None:
    """What an error code means, in the reader's words; None for a code without one."""
    _ = t.gettext
    messages = {
        # Forms, sessions and logins
        "csrf_failed": _("The form expired. Please try again."),
        "bad_credentials": _("Wrong username or password."),
        "account_disabled": _("Wrong username or password."),
        "too_many_logins": _("Too many failed logins from your address. Wait a minute."),
        "login_busy": _("The service is handling many logins. Try again in a few seconds."),
        "form_invalid": _("Check the form's fields."),
        "invalid_metadata": _("Check the document's title and type."),
        "reason_required": _("Give the reason."),
        "nothing_chosen": _("Choose at least one signing line."),
        "no_steps": _("Choose who signs, in at least one step."),
        "not_in_dossier": _("That document is not in this dossier."),
        "self_stand_in": _("You cannot stand in for yourself."),
        "unknown_user": _("There is no active user with that name."),
        "signer_not_official": _("Only officials sign: choose an official."),
        "not_rejected": _("Only a returned signing line can be sent again."),
        "too_many_requests": _("Too many requests from your address. Wait a minute."),
        "not_authenticated": _("Log in first."),
        "invalid_token": _("Your session has expired. Log in again."),
        # Uploads and PDF files
        "file_missing": _("Choose a PDF file."),
        "file_too_large": _("The file is larger than the limit."),
        "field_too_large": _("A form field is too long."),
        "too_many_fields": _("The form has too many fields."),
        "too_many_files": _("Send exactly one file."),
        "bad_filename": _("The file name is not valid: send a plain name without folders."),
        "bad_encoding": _("The form could not be read: its text is not UTF-8."),
        "bad_multipart": _("The form could not be read."),
        "not_multipart": _("The form could not be read."),
        "upload_truncated": _("The upload was cut off before its end. Send it again."),
        "upload_mismatch": _("The file changed while it was stored. Send it again."),
        "empty_file": _("The file is empty."),
        "not_a_pdf": _("The file is not a PDF. Upload the document as a PDF."),
        "pdf_broken": _("The PDF is damaged. Save or export it again as a PDF and upload it."),
        "pdf_encrypted": _(
            "The PDF is encrypted and does not open without a password: verify the decrypted file."
        ),
        "pdf_hybrid_xref": _(
            "The PDF has hybrid cross-reference tables, which let different readers show "
            "different content. Save or export it again as a PDF."
        ),
        "pdf_no_pages": _("The PDF has no pages."),
        "pdf_too_many_pages": _("The PDF has more pages than allowed."),
        "pdf_too_many_objects": _("The PDF is more complex than allowed."),
        "unreadable_pdf": _("The file cannot be read as a PDF."),
        "decompression_limit": _("The file holds compressed data that expands past the limit."),
        "store_busy": _("The document store is busy. Try again in a moment."),
        # Public verification
        "code_invalid": _("That is not a valid verification code: it has 16 letters and digits."),
        "code_not_found": _("No document has that verification code."),
        "not_public": _("This document is not public."),
        "verification_time_limit": _("The verification took longer than allowed and was stopped."),
        "verification_memory_limit": _(
            "The verification needed more memory than allowed and was stopped."
        ),
        "verification_busy": _("The service is busy. Please try again in a minute."),
        "verification_budget": _(
            "Your address has used its share of the verification time. Wait a minute and try again."
        ),
        "verification_expired": _("This verification has expired. Upload the file again."),
        "verification_not_found": _("This verification does not exist or has expired."),
        "no_signature": _("The document has no signature."),
        "no_readable_signature": _("None of the document's signatures can be read."),
        "no_seal": _("The institution has no electronic seal configured."),
        "seal_unavailable": _("The institution's electronic seal is not available."),
        "seal_failed": _("The report could not be sealed."),
        # Documents, dossiers and previews
        "not_found": _("Not found."),
        "document_not_found": _("No such document, or it is not visible to you."),
        "version_not_found": _("No such version."),
        "page_not_found": _("The document has no such page."),
        "preview_failed": _("The page could not be drawn."),
        "version_changed": _(
            "The document gained a new version in the meantime: sign the new version."
        ),
        "not_owning_department": _("Only the owning department can do this."),
        "role_cannot_create_documents": _("Your role cannot create documents."),
        "dossier_not_found": _("No such dossier, or it is not visible to you."),
        "dossier_empty": _("The dossier has no documents to sign."),
        "dossier_closed": _("The dossier is closed."),
        "dossier_sealed": _(
            "The dossier is sealed by its signed index: its documents cannot change."
        ),
        "dossier_sealing": _(
            "The dossier's index is being sealed: its documents cannot change until it is."
        ),
        "seal_in_progress": _("The dossier is being sealed already."),
        "no_seal_pending": _("The dossier has no seal waiting for a PIN."),
        "already_in_dossier": _("The document is already in this dossier."),
        # Signing
        "not_an_official": _("Only officials with a signature can do this."),
        "not_sent_for_signature": _(
            "Only the owning department, or an official it was sent to for signature, can "
            "sign this document."
        ),
        "wrong_pin": _("Wrong PIN."),
        "pin_required": _("Type your signing PIN."),
        "job_not_found": _("No such job."),
        "no_job_worker": _(
            "No signing worker is running right now. Try again in a moment; if it goes on, "
            "tell the service's administrators."
        ),
        "cannot_unlock_kind": _(
            "Only a key kept by the service can stay unlocked: a token or a card asks for its "
            "PIN at each signature."
        ),
        "no_login_session": _("A signing session belongs to a login: log in to open one."),
        "pin_locked": _("Signing is locked after too many wrong PINs. Wait a few minutes."),
        "pin_too_short": _("The signing PIN is too short."),
        "no_signing_credential": _(
            "You have no signing credential: ask an administrator to issue one."
        ),
        "no_dev_pki": _("This installation has no development PKI to issue credentials."),
        "no_kept_key": _("The service keeps no key for your credential."),
        "no_pkcs11_module": _("No PKCS#11 module is configured."),
        "cannot_batch_kind": _(
            "Batch signing needs a key kept by the service: sign token or card signatures "
            "one by one."
        ),
        "use_external_signing": _(
            "Your key is on your own card: sign with two-step signing, from the API."
        ),
        "cannot_certify_signed": _(
            "Only the first signature can certify a document, and this one is already signed."
        ),
        "signing_failed": _("The document could not be signed."),
        "no_tsa": _("This signature level needs a timestamp authority, which is not configured."),
        "no_trust_roots": _(
            "This signature level needs the trust roots, which are not configured."
        ),
        "ocsp_unavailable": _("The revocation status could not be checked. Try again later."),
        "pki_busy": _("The service is busy signing. Try again in a few seconds."),
        "batch_not_found": _("No such batch job."),
        "batch_too_large": _("The batch holds more items than allowed."),
        "job_failed": _("The batch job failed."),
        # Signing lines
        "signing_line_not_found": _("No such signing line."),
        "not_your_turn": _("It is not your turn to sign yet."),
        "already_signed": _("You already signed this step."),
        "not_a_signer": _("You are not a signer of this line."),
        "line_cancelled": _("This signing line was cancelled."),
        "line_not_in_signature": _("This signing line is no longer in signature."),
        "not_requester": _("Only the official who requested the signatures can do this."),
        # Register, transfers and cases
        "not_registry_staff": _("Only registry staff can do this."),
        "other_department": _("You may act for your own department only."),
        "department_not_found": _("No such department."),
        "user_not_found": _("No such official in that department."),
        "case_not_found": _("No such case."),
        "entry_not_found": _("No such register entry."),
        "already_annulled": _("The entry is already annulled."),
        "same_department": _("A transfer goes to another department."),
        "not_owned_or_received": _(
            "Your department can send only what it owns or received in a transfer."
        ),
        "reply_goes_back": _("A reply goes back to the department that sent the request."),
        "transfer_not_found": _("No such transfer."),
        "already_answered": _("That transfer has already been answered."),
        "not_recipient": _("Only the department it was sent to answers a transfer."),
        "not_acknowledged": _("Acknowledge the transfer with a signed receipt first."),
        # The archive: the classification scheme, retention tables and filing
        "not_an_archivist": _("Only the archive's staff can do this."),
        "not_archive_committee": _("Only the archive committee approves a retention table."),
        "scheme_not_found": _("No such version of the classification scheme."),
        "retention_table_not_found": _("No such retention table."),
        "node_not_found": _("That series is not in the classification scheme."),
        "archive_unknown_node": _("That series is not in the classification scheme."),
        "archive_file_missing": _("Choose a CSV or JSON file."),
        "archive_bad_format": _("Choose the file's format: CSV or JSON."),
        "archive_bad_csv": _(
            "The CSV file could not be read: check its header, its columns and that it is "
            "saved as UTF-8 text."
        ),
        "archive_bad_json": _("The JSON file could not be read: check its structure and fields."),
        "archive_unknown_parent": _("A node names a parent that is not in the scheme."),
        "archive_wrong_parent_level": _(
            "A node hangs from the wrong level: a series hangs from a section or a subsection, "
            "a subseries from a series."
        ),
        "archive_root_not_fonds": _("Only the fonds has no parent."),
        "archive_duplicate_code": _("A code appears twice in the scheme."),
        "archive_bad_code": _(
            "A code has 1 to 32 letters, digits, hyphens or underscores, and no spaces."
        ),
        "archive_empty_field": _("Every node needs a code and a name."),
        "archive_bad_level": _("A node has an unknown level."),
        "archive_cycle": _("Some nodes hang from each other in a cycle."),
        "archive_types_not_allowed": _("Only series and subseries list document types."),
        "archive_bad_document_type": _("A document type is empty, repeated or holds a semicolon."),
        "archive_unknown_series": _(
            "A rule names a series that is not in the latest classification scheme."
        ),
        "archive_duplicate_rule": _("A series has two rules."),
        "archive_bad_years": _("Years are whole numbers from 0 to 100."),
        "archive_bad_disposition": _("A rule has an unknown final disposition."),
        "archive_bad_trigger": _("A rule has an unknown start of its retention count."),
        "archive_event_required": _(
            "A rule names its event when, and only when, its retention count starts with an event."
        ),
        "archive_bad_transition": _(
            "The table is not in the state this step needs: a draft is approved, then put in force."
        ),
        "archive_same_person": _(
            "Another person approves it: not whoever drafted the table or proposed the disposal."
        ),
        "archive_not_a_series": _("Records are filed under a series or a subseries."),
        "archive_type_not_allowed": _("That series does not list this document type."),
        "archive_in_a_dossier": _("A document in a dossier is filed with its dossier."),
        "archive_transferred": _(
            "It was transferred to the central archive: its filing no longer changes."
        ),
        "archive_file_one": _("File a dossier or a document."),
        "archive_no_rule": _("The retention table in force has no rule for its series."),
        "archive_counts_from_closing": _(
            "Its series counts from the dossier's closing: closing it gives its dates."
        ),
        "archive_future_day": _("An event or a closing is recorded once it has happened."),
        "archive_bad_day": _("That day is not plausible."),
        # The archive: transfers, loans, legal holds and disposal
        "archive_no_department": _("No archive department is configured: ask an administrator."),
        "archive_no_historical": _(
            "No historical archive is configured apart from the central archive: ask an "
            "administrator."
        ),
        "archive_nothing_chosen": _("Choose at least one record."),
        "archive_one_office": _(
            "A transfer holds one department's records: choose records of one department."
        ),
        "archive_not_due": _(
            "A record chosen is not due yet, is under a legal hold, or is in another "
            "disposal proposal."
        ),
        "archive_sent": _("The inventory was sent already."),
        "archive_not_sent": _("It is not signed yet."),
        "archive_transfer_not_found": _("No such archival transfer, or it is not visible to you."),
        "holding_not_found": _("The archive holds no such record."),
        "loan_open": _("Your department has asked for it already."),
        "loan_not_found": _("No such loan."),
        "loan_decided": _("The loan was decided already."),
        "loan_bad_due_date": _("Give a return date within a year from today."),
        "loan_not_lent": _("The record is not on loan."),
        "not_borrower": _("Only the borrowing department or an archivist records the return."),
        "not_hold_role": _("Only archivists and legal staff place and release legal holds."),
        "not_fixity_reader": _(
            "Only archivists, auditors and administrators see the fixity checks."
        ),
        "not_fixity_starter": _("Only archivists start a fixity check."),
        "not_renewal_starter": _("Only archivists start a review of the signatures."),
        "not_exporter": _("Only archivists export a dossier as an archival package."),
        "export_running": _(
            "This dossier's package is being made already; it appears here when ready."
        ),
        "export_not_found": _("No such archival package."),
        "package_missing": _("Choose the package's file (.zip)."),
        "series_not_found": _("No series of the classification scheme has that code."),
        "export_empty": _("There is no record to export there."),
        "bad_export_scope": _(
            "Say what the package holds: a dossier, a case, a series or a person's records."
        ),
        "bad_export_format": _("Choose the package's format: E-ARK or ENI."),
        "not_importer": _("Only archivists import archival packages."),
        "import_not_found": _("No such import."),
        "bad_register_key": _(
            "The register key is written name+hash+key, as the origin publishes it."
        ),
        "fixity_running": _("A fixity check is already under way; its progress is on this page."),
        "renewal_running": _(
            "A review of the signatures is already under way; its progress is on this page."
        ),
        "hold_one_target": _("Hold one record or one series."),
        "hold_reason_required": _(
            "Give the reason (and, to place a hold, the authority that ordered it)."
        ),
        "hold_not_found": _("No such legal hold."),
        "hold_released": _("The hold was released already."),
        "hold_same_person": _("Another person must release the hold: not whoever placed it."),
        "appraisal_required": _("Write the appraisal."),
        "disposal_not_found": _("No such disposal proposal."),
        "disposal_decided": _("The proposal was approved already."),
        "disposal_not_approved": _("Only an approved proposal is carried out."),
        "archive_still_retained": _(
            "The storage still retains a record to destroy: its retention has not ended."
        ),
        "archive_delete_refused": _(
            "The storage refused to delete a record. Tell the service's administrators."
        ),
        "content_disposed": _(
            "Its content was destroyed in a supervised disposal: only its description remains."
        ),
        # What an error of each kind means when its code has no words of its own
        "invalid_input": _("Check what you sent."),
        "payload_too_large": _("What you sent is larger than the limit."),
        "unprocessable": _("The file could not be processed."),
        "permission_denied": _("You may not do this."),
        "conflict": _("This cannot be done in the record's present state."),
        "gone": _("This has expired."),
        "locked": _("This is locked for a while. Try again later."),
        "service_unavailable": _("The service is not available. Try again later."),
        "busy": _("The service is busy. Please try again in a minute."),
    }
    found = messages.get(code)
    if found is None and code.startswith("archive_"):
        # A rule of the archive without words of its own (a new one).
        return _(
            "What was sent breaks a rule of the classification scheme or of the retention tables."
        )
    return found


def _value(value: object) -> str:
    raw = getattr(value, "value", value)
    return raw if isinstance(raw, str) else str(raw)


def verdict_label(t: Translator, value: object) -> str:
    labels = {
        "valid": t.pgettext("verdict", "valid"),
        "invalid": t.pgettext("verdict", "invalid"),
        "indeterminate": t.pgettext("verdict", "indeterminate"),
    }
    return labels.get(_value(value), _value(value))


def package_line_label(t: Translator, code: str, values: dict[str, object]) -> str:
    """A line of an archival package's report (``archive.package_check.Line``) in the
    reader's words. The English details of a library's error are left out: the API's
    report carries them."""
    # The catalogue's own gettext: the values go in below, once the template is chosen.
    _ = t.messages.gettext
    shown = {k: v for k, v in values.items() if k != "detail"}
    shown.setdefault("file", "")
    if code == "verdicts_differ":
        shown["origin"] = verdict_label(t, values.get("origin"))
        shown["here"] = verdict_label(t, values.get("here"))
    lines = {
        "bag_valid": _("The bag validates: its manifests and every file in it."),
        "bag_invalid": _("The bag does not validate: a file is missing, extra or changed."),
        "mets_unreadable": _("%(file)s cannot be read."),
        "file_without_location": _("%(file)s lists a file without saying where it is."),
        "file_missing": _("%(file)s is missing, though the METS lists it."),
        "file_size": _("%(file)s is not of the size its METS says."),
        "file_hash": _("%(file)s does not have the SHA-256 its METS says."),
        "files_listed": _("The %(count)s files the METS list are there, whole."),
        "own_register_key": _("The origin register's key is the one the package carries."),
        "checkpoint_invalid": _("The origin register's checkpoint does not verify under its key."),
        "checkpoint_signed": _(
            "The origin register's checkpoint of %(size)s leaves is signed by %(key)s."
        ),
        "leaf_unproven": _("Leaf %(index)s of the origin register is not proven."),
        "version_unrecorded": _(
            "The version %(file)s is recorded by no proven leaf of the origin register."
        ),
        "leaves_proven": _("%(count)s leaves of the origin register are proven in it."),
        "own_anchors": _(
            "The signatures were checked against the %(count)s trust anchors the package carries."
        ),
        "evidence_unreadable": _("The package's evidence (its proofs or anchors) cannot be read."),
        "not_recorded": _("%(file)s is not recorded in the origin's register."),
        "signature_invalid": _("%(file)s: a signature is not valid."),
        "signature_indeterminate": _("%(file)s: a signature cannot be judged valid here."),
        "signed_verified": _("%(count)s signed files verified."),
        "disposal_unreadable": _("%(file)s: the disposal record's signature cannot be read."),
        "disposal_invalid": _("%(file)s: the disposal record's signature does not verify."),
        "disposal_untrusted": _(
            "%(file)s is signed by %(signer)s, who does not chain to a trust root of this "
            "institution."
        ),
        "disposal_signed": _("The disposal record %(file)s is signed by %(signer)s."),
        "record_mismatch": _("%(file)s does not have the hash its record says."),
        "index_signature_unreadable": _("The electronic index's signature cannot be read."),
        "index_signature_invalid": _("The electronic index's signature does not verify."),
        "index_untrusted": _(
            "The electronic index is signed by %(signer)s, who does not chain to a trust "
            "root of this institution."
        ),
        "index_signed": _("The electronic index is signed by %(signer)s."),
        "index_signature_unchecked": _(
            "The electronic index's signature (%(kind)s) is of a kind this service does not check."
        ),
        "not_indexed": _("%(file)s is not the document its electronic index lists."),
        "sha1_index": _("%(file)s is indexed by SHA-1, which is no longer secure."),
        "eni_documents": _("The %(count)s documents are those the electronic index lists."),
        "verdicts_differ": _(
            "%(file)s, version %(version)s: %(origin)s at the origin, %(here)s here."
        ),
        "bad_package": _(
            "The file is not an archival package this service reads: neither a BagIt bag "
            "made by docsvc nor an ENI expediente."
        ),
        "bad_eni": _("The ENI expediente is malformed."),
    }
    template = lines.get(code)
    if template is None:
        return error_message(t, code) or _("A problem this page cannot describe in words.")
    try:
        return template % shown
    except (KeyError, TypeError, ValueError):
        return template
