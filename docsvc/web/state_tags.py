"""Which colour of the design system's tag shows a state: green for done, blue for waiting
on someone, yellow for in progress, red for refused or failed, grey for no longer in play.
The word beside it always names the state, so colour is never the only signal."""

from __future__ import annotations

from collections.abc import Mapping

_COLOURS: Mapping[str, str] = {
    # Finished well.
    "signed": "green",
    "acknowledged": "green",
    "finished": "green",
    "valid": "green",
    "answered": "green",
    "in_force": "green",  # a retention table
    "received": "green",  # a transfer to the central archive
    "executed": "green",  # a disposal
    # Waiting for someone.
    "pending": "blue",
    "sent": "blue",
    "in_signature": "blue",
    "open": "blue",
    "queued": "blue",
    "approved": "blue",  # a retention table or a disposal, waiting for its next step
    "requested": "blue",  # a loan, waiting for the archive
    "proposed": "blue",  # a disposal, waiting for the committee
    # Being worked on, or not yet decided.
    "draft": "yellow",
    "running": "yellow",
    "interrupted": "yellow",
    "needs_pin": "yellow",  # a dossier's seal, waiting to be taken up again with a PIN
    "indeterminate": "yellow",
    "prepared": "yellow",  # a transfer's inventory, not sent yet
    "lent": "yellow",  # a loan, until the record comes back
    "active": "yellow",  # a legal hold in effect
    # Refused or failed.
    "rejected": "red",
    "returned": "red",
    "failed": "red",
    "invalid": "red",
    "overdue": "red",
    "refused": "red",  # a loan
    # No longer in play.
    "cancelled": "grey",
    "closed": "grey",
    "not_needed": "grey",
    "superseded": "grey",
    "released": "grey",  # a legal hold
}


def state_colour(state: object) -> str:
    """The tag colour for a state code (an enum member or its value); grey if unknown."""
    code = getattr(state, "value", state)
    return _COLOURS.get(str(code), "grey")
