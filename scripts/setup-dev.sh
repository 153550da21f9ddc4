#!/usr/bin/env bash
# Set up everything the tests and the demo need on a fresh Debian 12 machine.
#  - as root: the Debian packages (apt), installed only when missing;
#  - always: the project's virtual environment in .venv, built from Debian's
#    /usr/bin/python3 so that non-root users (OAR jobs) can run it too.
# Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
# nix-bin: nix-instantiate for the composition checks; chromium and its driver: the HTML report's
# browser test (headless, no network); rsync: gitlab-ci-local (the GitLab CI runner of the tests) and
# scripts/ansible-test.sh; shellcheck: ansible-test sanity's shellcheck test
APT_PACKAGES=(python3-venv nix-bin chromium chromium-driver rsync shellcheck)

log() { printf '[setup %(%T)T] %s\n' -1 "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}" ${EXTRA_APT_PACKAGES:-}; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run this script as root to install them)" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp="$VENV/.oar-nxc-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log "virtual environment $VENV"
  [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev]'
  touch "$stamp"
fi
# gitlab-ci-local, the GitLab CI runner that runs .gitlab-ci.yml against the testbed in the tests, with
# the Node 22 it needs (Debian's Node 20 fails at its start): the exact versions of
# tests/gitlab-ci-local/package.json, into its node_modules (git ignores it)
# (not inside a CI job, which gitlab-ci-local itself runs)
GCL=tests/gitlab-ci-local
if [ -z "${CI_JOB_ID:-}" ] && { [ ! -x "$GCL/node_modules/.bin/gitlab-ci-local" ] || [ "$GCL/package.json" -nt "$GCL/node_modules/.installed" ]; }; then
  if command -v npm >/dev/null; then
    log "gitlab-ci-local and Node 22 (npm) into $GCL/node_modules"
    npm install --prefix "$GCL" --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
    touch "$GCL/node_modules/.installed"
  else
    log "npm is missing: the GitLab CI runner tests (tests/integration/test_gitlab_ci.py) will be skipped"
  fi
fi
log "ready: $("$VENV/bin/ansible" --version | head -1), $("$VENV/bin/nxc" --version 2>/dev/null)"
