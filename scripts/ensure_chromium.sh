#!/usr/bin/env bash
# The browser tests (e2e/) drive a system Chromium: Debian's /usr/bin/chromium, or the one
# $E2E_CHROMIUM names. Installs Debian's package when it is missing and we can; otherwise
# says in one line what to run, instead of failing deep inside a browser test.
set -euo pipefail
chromium="${E2E_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    echo "Chromium is missing; installing Debian's package (apt-get install chromium)."
    if $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium; then
        exit 0
    fi
fi
echo "No Chromium at $chromium: install it (Debian: 'apt-get install chromium'; elsewhere" \
    "'.venv/bin/playwright install chromium' and set E2E_CHROMIUM to its path), then run make test again." >&2
exit 1
