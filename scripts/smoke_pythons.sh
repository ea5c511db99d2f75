#!/usr/bin/env bash
# A smoke test on every other Python >= 3.12 on this machine (`make test` runs the suite on
# the newest, the one .venv has): for each, a venv of its own under .data/smoke/ with the
# runtime requirements, then `manage.py check`, `migrate` on a fresh embedded database, and
# one request through Django's test client (the search page: templates, pg_trgm,
# full-text search). About a minute per Python once its venv exists.
set -euo pipefail
cd "$(dirname "$0")/.."

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
main_version=$(version_of .venv/bin/python)
declare -A seen=(["$main_version"]=1)
status=0
# The same places the Makefile looks; pyenv's shims answer for versions not selected, so a
# candidate counts only if it runs.
for candidate in python3.14 python3.13 python3.12 \
    "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || continue
    version=$(version_of "$candidate")
    [ -z "${seen[$version]:-}" ] || continue
    seen[$version]=1
    echo "== Python $version ($(command -v "$candidate"))"
    venv=.data/smoke/venv-$version
    if ! cmp -s requirements.txt "$venv/requirements.installed" 2>/dev/null; then
        rm -rf "$venv"
        "$candidate" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet -r requirements.txt
        cp requirements.txt "$venv/requirements.installed"
    fi
    data=.data/smoke/data-$version
    rm -rf "$data"  # a fresh database every time: migrate runs from the first migration
    if MP_DATA_DIR=$data "$venv/bin/python" scripts/devservices.py exec -- bash -c "
        set -e
        $venv/bin/python manage.py check
        $venv/bin/python manage.py migrate --no-input --verbosity 0
        $venv/bin/python manage.py shell --command '
from django.test import Client
response = Client(HTTP_HOST=\"localhost\").get(\"/search/\", {\"q\": \"lunna\"})
assert response.status_code == 200, response.status_code
print(\"GET /search/?q=lunna:\", response.status_code)
'"; then
        echo "== Python $version: ok"
    else
        echo "== Python $version: FAILED"
        status=1
    fi
done
exit $status
