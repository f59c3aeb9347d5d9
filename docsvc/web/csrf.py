"""CSRF tokens for forms.

Before login there is no session to hold a token, so the login form uses a signed
double-submit: a random cookie plus a form field that is an HMAC of it under the service's
secret. After login every form carries the session's own token, checked server-side.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PRELOGIN_COOKIE = "docsvc_prelogin"


def new_prelogin_nonce() -> str:
    return secrets.token_urlsafe(24)


def prelogin_token(secret_key: str, nonce: str) -> str:
    return hmac.new(secret_key.encode(), b"login:" + nonce.encode(), hashlib.sha256).hexdigest()


def prelogin_token_valid(secret_key: str, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(prelogin_token(secret_key, nonce), token)


def session_token_valid(expected: str | None, token: str | None) -> bool:
    if not expected or not token:
        return False
    return hmac.compare_digest(expected, token)
