"""Errors as pages, for a browser that asked for a page: an unknown address, a record the
reader may not see, a failure of the service. The API's callers keep their JSON
(``docsvc.http_errors`` decides which is which)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from docsvc.http_errors import ErrorAnswer
from docsvc.services import Services
from docsvc.web.i18n import Translator, error_message
from docsvc.web.page import page_translator, render

# Headers an error page passes on: the wait a 429 or 503 asks for.
_KEPT_HEADERS = ("Retry-After",)


def _words(t: Translator, answer: ErrorAnswer) -> tuple[str, str]:
    """The page's heading and its explanation, by status; the code's own words when the
    catalogue has them."""
    status = answer.status
    if status in (404, 405):
        heading = t.gettext("Page not found")
        default = t.gettext(
            "This address leads to no page or record here. Check it, or start again from "
            "the main page."
        )
    elif status in (401, 403):
        heading = t.gettext("You may not see this page")
        default = t.gettext(
            "Your account gives no access to it. If your work needs it, ask your "
            "department's administrator."
        )
    elif status == 429:
        heading = t.gettext("Too many requests")
        default = t.gettext("Wait a moment and try again.")
    elif status >= 500:
        heading = t.gettext("The service could not answer")
        default = t.gettext(
            "The failure has been recorded. Try again in a few minutes; if it persists, tell "
            "the service's administrators."
        )
    else:
        heading = t.gettext("The request could not be completed")
        default = t.gettext("Go back, check what you entered, and try again.")
    # An unknown address names no record: its words come from the status alone.
    if status in (404, 405) and answer.code in ("not_found", "method_not_allowed"):
        return heading, default
    return heading, error_message(t, answer.code) or default


def error_page(request: Request, answer: ErrorAnswer) -> Response:
    services: Services = request.app.state.services
    t = page_translator(request, services)
    heading, explanation = _words(t, answer)
    response = render(
        request,
        services,
        "error.html",
        answer.status,
        heading=heading,
        explanation=explanation,
        error_status=answer.status,
    )
    for name in _KEPT_HEADERS:
        if answer.headers and name in answer.headers:
            response.headers[name] = answer.headers[name]
    return response
