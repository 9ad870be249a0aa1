#!/usr/bin/env bash
# CI: build the wheel, install it into a fresh virtual environment (no source tree on the path), run
# `suanli serve --demo` from an empty directory and wait for /readyz; then stop it.
# Usage: scripts/ci-wheel.sh [PORT]   (READY_TIMEOUT=seconds, default 180)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
PORT="${1:-18765}"
READY_TIMEOUT="${READY_TIMEOUT:-180}"
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "ci-wheel: building the wheel"
"$PYTHON" -m venv "$WORK/build-venv"
"$WORK/build-venv/bin/pip" install --quiet --upgrade pip
"$WORK/build-venv/bin/pip" wheel --quiet --no-deps -w "$WORK/dist" .
WHEEL="$(ls "$WORK"/dist/suanli-*.whl)"
echo "ci-wheel: built $(basename "$WHEEL")"
for member in suanli/examples/federation-chengdu.yaml suanli/examples/programs/chengdu-2023.yaml \
              suanli/web/static/app.js suanli/db/migrations/env.py; do
  "$PYTHON" -c "import sys, zipfile; sys.exit(0 if '$member' in zipfile.ZipFile('$WHEEL').namelist() else 1)" \
    || { echo "ci-wheel: $member missing from the wheel"; exit 1; }
done
"$PYTHON" -c "import sys, zipfile; n=zipfile.ZipFile('$WHEEL').namelist(); \
sys.exit(0 if any(p.endswith('/licenses/LICENSE') for p in n) else 1)" || { echo "ci-wheel: no LICENSE"; exit 1; }

echo "ci-wheel: installing into a fresh venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --upgrade pip
"$WORK/venv/bin/pip" install --quiet "$WHEEL"
"$WORK/venv/bin/suanli" --version

mkdir -p "$WORK/run"
cd "$WORK/run"   # no source tree here: the demo must come from the installed package
SUANLI_DATABASE_URL="sqlite:///$WORK/run/suanli.db" SUANLI_DATA_DIR="$WORK/run/var" \
  "$WORK/venv/bin/suanli" serve --demo --host 127.0.0.1 --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
deadline=$((SECONDS + READY_TIMEOUT))
until "$PYTHON" -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2)" \
      2>/dev/null; do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "ci-wheel: the server exited before /readyz answered:"; cat "$WORK/serve.log"; exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "ci-wheel: /readyz did not answer within ${READY_TIMEOUT}s:"; cat "$WORK/serve.log"; exit 1
  fi
  sleep 1
done
"$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/vendor/plotly.min.js', timeout=5)"
echo "ci-wheel: the installed wheel serves the demo (/readyz 200 after $((SECONDS)) s)"
