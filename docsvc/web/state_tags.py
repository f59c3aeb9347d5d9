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
    # Waiting for someone.
    "pending": "blue",
    "sent": "blue",
    "in_signature": "blue",
    "open": "blue",
    "queued": "blue",
    "approved": "blue",  # a retention table, waiting to be put in force
    # Being worked on, or not yet decided.
    "draft": "yellow",
    "running": "yellow",
    "interrupted": "yellow",
    "indeterminate": "yellow",
    # Refused or failed.
    "rejected": "red",
    "returned": "red",
    "failed": "red",
    "invalid": "red",
    "overdue": "red",
    # No longer in play.
    "cancelled": "grey",
    "closed": "grey",
    "not_needed": "grey",
    "superseded": "grey",
}


def state_colour(state: object) -> str:
    """The tag colour for a state code (an enum member or its value); grey if unknown."""
    code = getattr(state, "value", state)
    return _COLOURS.get(str(code), "grey")
