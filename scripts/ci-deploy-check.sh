#!/usr/bin/env bash
# CI: check the deployment files. The systemd units with `systemd-analyze verify` (the ExecStart
# path rewritten to this checkout's installed `suanli`, or to /usr/bin/env before the project is
# installed: verify checks the executable exists, the units' syntax is what is under test), the nginx
# example with `nginx -t` against a throwaway self-signed certificate (nginx from apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SUANLI_BIN="${SUANLI_BIN:-$(pwd)/.venv/bin/suanli}"
[ -x "$SUANLI_BIN" ] || SUANLI_BIN=/usr/bin/env

if command -v systemd-analyze >/dev/null; then
  mkdir -p "$WORK/units" "$WORK/etc"
  : > "$WORK/etc/suanli.env"
  for unit in deploy/systemd/*.service; do
    sed -e "s#/opt/suanli/venv/bin/suanli#$SUANLI_BIN#g" -e "s#/etc/suanli/suanli.env#$WORK/etc/suanli.env#g" \
      "$unit" > "$WORK/units/$(basename "$unit")"
  done
  # --man=no: the Documentation= file lives on the installed host only.
  out="$(systemd-analyze verify --man=no "$WORK"/units/*.service 2>&1 || echo "exit status $?")"
  # Without a running systemd (containers) verify still parses every directive; these lines are about
  # the host, not the units.
  problems="$(printf '%s\n' "$out" | grep -v -e '^$' -e 'System has not been booted with systemd' \
              -e 'Failed to connect to bus' -e 'is not a file' -e 'user.*not found' || true)"
  if [ -n "$problems" ]; then
    printf 'ci-deploy-check: systemd-analyze verify:\n%s\n' "$problems"; exit 1
  fi
  echo "ci-deploy-check: systemd units verify"
else
  echo "ci-deploy-check: SKIP systemd units: systemd-analyze is not installed here"
fi

if ! command -v nginx >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -q && apt-get install -y -q --no-install-recommends nginx-light >/dev/null \
    || apt-get install -y -q --no-install-recommends nginx >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if [ -x "$NGINX" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=suanli.example.org" \
    -keyout "$WORK/privkey.pem" -out "$WORK/fullchain.pem" >/dev/null 2>&1
  sed -e "s#/etc/ssl/suanli/#$WORK/#g" -e "s#listen 80;#listen 127.0.0.1:18080;#; s#listen 443 ssl http2;#listen 127.0.0.1:18443 ssl http2;#" \
      -e '/listen \[::\]/d' deploy/nginx/suanli.conf > "$WORK/site.conf"
  cat > "$WORK/nginx.conf" <<CONF
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fcgi;
  uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
  include $WORK/site.conf;
}
CONF
  "$NGINX" -t -q -c "$WORK/nginx.conf" -p "$WORK" && echo "ci-deploy-check: nginx example passes nginx -t"
else
  echo "ci-deploy-check: SKIP nginx: not installed and not root to install it"
fi
