"""Reading the service's HTML pages."""

from __future__ import annotations

import re


def csrf_of(page: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)
