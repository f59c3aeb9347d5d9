#!/bin/sh
# Migrations first, then the institution (idempotent), then the server.
set -eu
docsvc db upgrade
docsvc init
exec docsvc serve --host 0.0.0.0 --port 8000 --proxy-headers "$@"
