#!/usr/bin/env bash
# Refresh the vendored axe-core (https://github.com/dequelabs/axe-core, MPL-2.0), which the
# accessibility test injects into the pages: the tests need no npm at run time.
#   bash tests/vendor/axe-core/update.sh [VERSION]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-latest}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "axe-core@$version" >/dev/null && tar xzf axe-core-*.tgz)
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$here/"
grep '"version"' "$work/package/package.json" | head -1 | sed 's/[^0-9.]//g' > "$here/VERSION"
echo "axe-core $(cat "$here/VERSION") in $here"
