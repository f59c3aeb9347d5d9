#!/bin/sh
# docsvc's container start: migrations, then the institution, then the server.
# Arguments that start with "-" go to `docsvc serve`; any other command runs instead of
# the service, e.g. `docker compose run --rm docsvc docsvc db current`.
set -eu

case "${1:-}" in
    "" | -*) ;;
    *) exec "$@" ;;
esac

# Uploads are spooled under TMPDIR; on a fresh volume it does not exist yet.
if [ -n "${TMPDIR:-}" ]; then
    mkdir -p "$TMPDIR"
fi

# Alembic to head first, so that a failed migration stops the container before anything
# else touches the database.
docsvc db upgrade
# Creates what is missing (store check, development PKI, the institution); safe every start.
docsvc init
exec docsvc serve --host 0.0.0.0 --port 8000 --proxy-headers "$@"
