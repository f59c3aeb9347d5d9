"""Runs eark-validator (in its own virtualenv, ``.venv-eark``, made by ``make test``)
with no network: at import it fetches four CSIP vocabularies from earkcsip.dilcis.eu, which
its wheel also bundles, so those four addresses are served from the bundled copies and any
other address is refused. Then its command line runs as usual.

    .venv-eark/bin/python tests/support/eark_offline.py PACKAGE_ROOT

It prints one line of text, then the JSON report."""

from __future__ import annotations

import sys
import urllib.request
from importlib.resources import files
from typing import Any, BinaryIO

_BASE = "https://earkcsip.dilcis.eu/schema/"
_VOCABULARIES = files("eark_validator.ipxml.resources.vocabs")


def _offline(url: Any, *args: Any, **kwargs: Any) -> BinaryIO:
    address = url if isinstance(url, str) else url.full_url
    if address.startswith(_BASE):
        return open(str(_VOCABULARIES.joinpath(address[len(_BASE) :])), "rb")
    raise OSError(f"offline: refusing to fetch {address}")


urllib.request.urlopen = _offline  # type: ignore[assignment]

from eark_validator.cli.app import main  # noqa: E402 - after the patch, which it needs

if __name__ == "__main__":
    sys.exit(main())
