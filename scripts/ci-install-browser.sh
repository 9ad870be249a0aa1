#!/usr/bin/env bash
# CI: the browser the web UI tests drive (Debian's Chromium, no `playwright install`) and a CJK font
# so pages and screenshots show Chinese text. Idempotent: installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qiE "wenquanyi|noto sans cjk" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y --no-install-recommends "${need[@]}"
fi
chromium --version
