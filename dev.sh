#!/usr/bin/env bash
# One entry point for a fresh Debian machine (as root) or a developer box.
#   ./dev.sh run    install everything, create the SQLite database in instance/, load demo data, serve
#   ./dev.sh test   install everything, run the whole test suite (SQLite + PostgreSQL + Chromium)
#   ./dev.sh setup  install only
set -euo pipefail
cd "$(dirname "$0")"

DEB_PACKAGES=(python3 python3-venv python3-dev nodejs npm chromium fonts-noto-cjk
              libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils zbar-tools fontconfig postgresql-client
              nginx)  # nginx: the reverse proxy of deploy/local-cluster (tests/test_cluster.py)

install_debian() {
  # Install the Debian packages the app and its tests need, only those missing.
  command -v dpkg-query >/dev/null || { echo "不是 Debian 系统：请自行安装 ${DEB_PACKAGES[*]}" >&2; return 0; }
  local missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # python3/node may come from pyenv/nodesource rather than Debian; that is fine
  local need=()
  for p in "${missing[@]}"; do
    case "$p" in
      python3|python3-venv|python3-dev) python3 -m venv --help >/dev/null 2>&1 || need+=("$p") ;;
      nodejs|npm) command -v npm >/dev/null || need+=("$p") ;;
      postgresql-client) command -v pg_dump >/dev/null || need+=("$p") ;;  # flask backup (any version's package)
      *) need+=("$p") ;;
    esac
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "安装 Debian 软件包：${need[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
}

install_python() {
  # A virtualenv in .venv with the app and its test tools.
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
}

install_frontend() {
  # htmx from the npm registry (pinned in package-lock.json), copied into static/vendor/ (git-ignored).
  npm ci --no-audit --no-fund --silent
  mkdir -p static/vendor
  cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
}

setup() {
  install_debian
  install_python
  install_frontend
}

case "${1:-}" in
  setup)
    setup ;;
  run)
    setup
    export FLASK_APP=inspector
    .venv/bin/flask db upgrade
    .venv/bin/flask demo load
    host="${HOST:-127.0.0.1}"; port="${PORT:-5000}"
    echo "打开 http://${host}:${port}/ （演示账号 admin / county / inspector，密码 demo-pass-2026）"
    exec .venv/bin/flask run --host "$host" --port "$port" ;;
  test)
    setup
    shift
    # one pytest worker per CPU, at most 4 (pytest-xdist; each worker has its own databases)
    workers="${TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}"; [ "$workers" -gt 4 ] && workers=4
    exec .venv/bin/python -m pytest -n "$workers" "$@" ;;
  *)
    echo "用法：./dev.sh run | test | setup" >&2; exit 2 ;;
esac
