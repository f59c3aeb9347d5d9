"""Reading the service's HTML pages."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from httpx2 import Response

from docsvc.demo.seed import DEMO_PASSWORD


def csrf_of(page: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def page_text(page: str) -> str:
    """What a reader sees of a page: the text between tags, spaces collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def submit(browser: TestClient, page_url: str, to: str, /, **fields: object) -> Response:
    """Submit a form of ``page_url`` (with its CSRF token) to ``to``, without following
    the redirect."""
    token = csrf_of(browser.get(page_url).text)
    return browser.post(to, data={"csrf_token": token, **fields}, follow_redirects=False)


def redirected(response: Response, location: str) -> str:
    """A 303 to ``location`` (a regular expression); where it goes."""
    assert response.status_code == 303, response.text
    found = response.headers["location"]
    assert re.fullmatch(location, found), found
    return found


def signed_in(browser: TestClient, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    """``browser`` logged in through the login form, as a person does."""
    form = browser.get("/login")
    done = browser.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return browser
