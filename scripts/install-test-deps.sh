#!/usr/bin/env bash
# The Debian packages the test suite needs:
#   postgresql      the second metadata database (the harness starts its own cluster)
#   softhsm2        a PKCS#11 token for the HSM signing path
#   poppler-utils   pdfsig, the independent validator of our signatures
#   chromium        the browser for the web tests (driven by Playwright, never downloaded)
#   libnss3-tools   certutil, to give pdfsig's NSS database our trust anchor
#   qpdf            an independent structural check of the demo and signed PDFs
#   haproxy         the load balancer of the production topology (tests/deploy)
# When all are installed this does nothing. Otherwise, as root it installs the missing ones;
# as anyone else it prints the exact command to run and fails, so nothing half-works.
set -euo pipefail

PACKAGES=(postgresql softhsm2 poppler-utils chromium libnss3-tools qpdf haproxy libpango-1.0-0 libpangoft2-1.0-0)

is_installed() {
    dpkg-query --show --showformat='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-test-deps: not a Debian-based system; install the equivalents of:" >&2
    echo "    ${PACKAGES[*]}" >&2
    exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: the tests need these Debian packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q -o Acquire::Retries=3
apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 "${missing[@]}"

still_missing=()
for package in "${missing[@]}"; do
    is_installed "$package" || still_missing+=("$package")
done
if [ "${#still_missing[@]}" -ne 0 ]; then
    echo "install-test-deps: apt-get finished but these are not installed: ${still_missing[*]}" >&2
    exit 1
fi
