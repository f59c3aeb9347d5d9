#!/usr/bin/env bash
# Rebuild the vendored GOV.UK Frontend (https://github.com/alphagov/govuk-frontend, MIT) and
# the Noto Sans typeface (@fontsource/noto-sans, SIL OFL 1.1) that the pages use, so that
# `make run` and the tests need no npm. Needs node and npm; run it, review the diff, commit.
#   bash docsvc/web/static/govuk/update.sh [GOVUK_FRONTEND_VERSION]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-6.6.0}"
sass_version="1.108.2"
font_version="5.3.0"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts \
  "govuk-frontend@$version" "sass@$sass_version" "@fontsource/noto-sans@$font_version" >/dev/null
npx sass --no-source-map --style=compressed --load-path=node_modules \
  "$here/docsvc-govuk.scss" "$here/govuk-frontend.min.css"
for weight in 400 700; do
  cp "node_modules/@fontsource/noto-sans/files/noto-sans-latin-$weight-normal.woff2" "$here/fonts/"
done
cp node_modules/@fontsource/noto-sans/LICENSE "$here/fonts/LICENSE-noto-sans.txt"
# The npm package ships no licence file; its README states MIT, copyright Crown.
cat > "$here/LICENSE-govuk-frontend.txt" <<'LICENCE'
The MIT License (MIT)

Copyright (c) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENCE
printf 'govuk-frontend %s\nsass %s\n@fontsource/noto-sans %s\n' \
  "$version" "$sass_version" "$font_version" > "$here/VERSION"
echo "GOV.UK Frontend $version built into $here"
