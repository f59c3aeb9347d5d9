"""E-mail copies of inbox notifications, sent through an outbox.

A signing-line transition (or a transfer's reminder) writes its ``InboxItem`` rows, marked
``pending`` when SMTP is configured, in its own transaction, and queues a ``mail.send``
job in it (``delivery.mail_after_commit``). After the commit a job runner mails them
through the outbox (``outbox.send_pending``; ``docsvc notifications send`` runs it once):

    NULL (e-mail off when the item was made; never mailed)
    pending ──sent──────────▶ sent
       │    ──no e-mail────▶ no_address
       └──── failure: attempts + 1, retried later; the fifth failure ──▶ failed

Nothing here raises to its caller over a mail problem: every failure is recorded on its
item, so the mail server can neither hold up nor undo a transition.
"""

from __future__ import annotations

from enum import StrEnum


class EmailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    no_address = "no_address"
    failed = "failed"
