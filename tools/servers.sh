#!/usr/bin/env bash
# Make sure the servers and the browser the tests start are installed: redis-server, PostgreSQL
# (initdb, postgres) and chromium (the console's browser test), from Debian's packages. Already
# installed: does nothing. Missing and root: `apt-get update` once, then `apt-get install -y` what
# is missing (chromium alone takes about two minutes). Missing and not root: says what to install
# and exits 0; the Redis/PostgreSQL tests then skip (loudly), the browser test fails saying so.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
if ! command -v initdb >/dev/null && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    missing+=(postgresql)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "dev: ${missing[*]} not installed and cannot install it here (needs root and apt-get);" \
        "the tests that need it skip or fail. Install: apt-get install -y ${missing[*]}" >&2
    exit 0
fi
echo "dev: installing ${missing[*]} from Debian's packages (for the Redis/PostgreSQL and browser tests) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq "${missing[@]}" >&2
echo "dev: ${missing[*]} installed" >&2
