#!/usr/bin/env bash
# The execution environment's build context (make ee): execution-environment.yml, version 3.
#   1. the oar-nxc wheel and the oar.nxc collection tarball of this checkout, into build/ee/dist
#      (the tarball as oar-nxc.tar.gz, the name execution-environment.yml gives);
#   2. ansible-builder create -> $OAR_NXC_EE_DIR (default build/ee)/context, with a Containerfile.
# Building the image needs a container engine: podman build -t oar-nxc-ee build/ee/context.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${OAR_NXC_EE_DIR:-build/ee}")
bin=$(dirname "$(command -v ansible-builder || echo "$PWD/.venv/bin/ansible-builder")")
export PATH="$bin:$PATH"

log() { printf '[ee %(%T)T] %s\n' -1 "$*"; }

dist=build/ee/dist  # execution-environment.yml names it (additional_build_files)
rm -rf "$dist" "$out/context"
mkdir -p "$dist"
log "the wheel -> $dist"
python3 -m pip wheel -q --disable-pip-version-check --no-deps -w "$dist" . >/dev/null
log "the collection -> $dist/oar-nxc.tar.gz"
ansible-galaxy collection build --force --output-path "$dist" . >/dev/null
mv "$dist"/oar-nxc-*.tar.gz "$dist/oar-nxc.tar.gz"
log "ansible-builder create -> $out/context"
ansible-builder create -f execution-environment.yml -c "$out/context" --output-filename Containerfile -v 1 >/dev/null
log "done: $out/context/Containerfile"
