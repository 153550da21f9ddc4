#!/usr/bin/env bash
# The collection's docs site, as docs.ansible.com makes a collection's (make docs):
#   1. the collections galaxy.yml depends on, from the package index (scripts/collection_deps.py);
#   2. antsibull-docs lint-collection-docs --plugin-docs: the plugins', modules' and roles' docs;
#   3. antsibull-docs sphinx-init, then `antsibull-docs collection` and sphinx-build, as the build.sh
#      that sphinx-init writes does, with the README files as guides (myst-parser) and Ansible's own
#      labels linked offline (docs/docsite/_ext/oar_nxc_sphinx.py). Warnings fail the build.
# Output: $OAR_NXC_DOCS_DIR (default build/docs)/site/build/html/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=$(realpath -m "${OAR_NXC_DOCS_DIR:-build/docs}")
site=$out/site
bin=$(dirname "$(command -v antsibull-docs || echo "$repo/.venv/bin/antsibull-docs")")
export PATH="$bin:$PATH"
# the checkout's collection (collections/ansible_collections/oar/nxc is the checkout) and its dependencies
export ANSIBLE_COLLECTIONS_PATH="$repo/collections:$out/collections"

log() { printf '[docs %(%T)T] %s\n' -1 "$*"; }

log "collections galaxy.yml depends on -> $out/collections"
python3 scripts/collection_deps.py "$out/collections" >/dev/null

log "antsibull-docs lint-collection-docs --plugin-docs"
antsibull-docs lint-collection-docs --plugin-docs "$repo/collections/ansible_collections/oar/nxc"

log "antsibull-docs sphinx-init -> $site"
rm -rf "$site"
mkdir -p "$site"
chmod 755 "$site"  # antsibull-docs wants it writable by its owner only
antsibull-docs sphinx-init --use-current --dest-dir "$site" --project oar.nxc --title oar.nxc \
  --copyright "oar-nxc developers" --index-rst-source docs/docsite/index.rst oar.nxc >/dev/null
cat >> "$site/conf.py" <<EOF

# oar-nxc (scripts/docs.sh): the README files as guides, Ansible's own labels linked offline
import sys
sys.path.insert(0, "$repo/docs/docsite/_ext")
extensions += ["myst_parser", "oar_nxc_sphinx"]
intersphinx_mapping = {}
myst_heading_anchors = 3
EOF

log "antsibull-docs collection"
mkdir -p "$site/rst"
chmod og-w "$site/rst"
antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --cleanup everything --use-current \
  --dest-dir "$site/rst" oar.nxc >/dev/null

log "the guides: README.md, ARCHITECTURE.md, docs/, compositions/*/README.md, roles/*/README.md"
guides=$site/rst/guides
mkdir -p "$guides"
git ls-files -z -- README.md ARCHITECTURE.md docs/ci.md docs/scenarios.md docs/ci-status 'compositions/*/README.md' \
  'roles/*/README.md' inventories | rsync -a --from0 --files-from=- ./ "$guides/"

log "sphinx-build"
sphinx-build -M html "$site/rst" "$site/build" -c "$site" -W --keep-going -q
log "done: $site/build/html/index.html"
