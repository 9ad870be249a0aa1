#!/usr/bin/env bash
# Install what the backend integration tests need, when missing: Slurm 22.05 with slurmdbd (apt),
# a running MariaDB for Slurm's accounting, and Ray in the project's venv. Idempotent; run as root.
# Called by .ci/run before the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
# fonts-wqy-microhei: the CJK TrueType font embedded in PDF documents (services/documents/pdf.py).
for pkg in slurm-wlm slurmdbd slurm-wlm-mysql-plugin munge fonts-wqy-microhei; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! mysqladmin -uroot ping >/dev/null 2>&1; then
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --chuid mysql --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    mysqladmin -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mysqladmin -uroot ping >/dev/null
fi

if ! .venv/bin/python -c "import ray" >/dev/null 2>&1; then
  echo "installing Ray into .venv"
  .venv/bin/pip install -q 'ray[default]==2.60.0'
fi
echo "backends ready: slurm $(dpkg-query -W -f="\${Version}" slurm-wlm), ray $(.venv/bin/python -c 'import ray; print(ray.__version__)')"
