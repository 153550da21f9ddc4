#!/usr/bin/env bash
# Run ansible-test on this checkout from the collection's path, as ansible-test requires:
#   scripts/ansible-test.sh sanity --venv            (ansible-core 2.19, the project's .venv)
#   ANSIBLE_TEST=/path/to/venv/bin/ansible-test scripts/ansible-test.sh units --venv
# It stages the checkout's files (what git tracks, and new files git does not ignore) at
# $OAR_NXC_ANSIBLE_TEST_DIR/ansible_collections/oar/nxc (default: build/ansible-test, ignored by
# git), as a git repository of its own so that ansible-test reads the same list of files, and runs
# ansible-test there with the arguments given. Results: tests/output/ of that copy.
# ansible-test --venv bootstraps pip from a host of its own that is out of reach here:
# scripts/ansible_test_get_pip.py stands in its cache, under a HOME of the run's own (the real
# ~/.ansible is left alone), and installs pip from the package index. For `units`, the same HOME's
# pip.conf gives pip the core's wheel (see below).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ansible_test=${ANSIBLE_TEST:-$root/.venv/bin/ansible-test}
work=${OAR_NXC_ANSIBLE_TEST_DIR:-$root/build/ansible-test}
dest=$work/ansible_collections/oar/nxc
[ -x "$ansible_test" ] || { echo "ansible-test.sh: no ansible-test at $ansible_test (make setup, or set ANSIBLE_TEST)" >&2; exit 2; }

rm -rf "$dest"
mkdir -p "$dest" "$work/home"
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
  rsync -a --from0 --ignore-missing-args --files-from=- "$root/" "$dest/"
git -C "$dest" init -q
git -C "$dest" add -A
git -C "$dest" -c user.name=ansible-test.sh -c user.email=ansible-test.sh@localhost commit -q -m "staged for ansible-test"

# the pip version ansible-test bootstraps, read from the ansible-test that runs
python=$(head -1 "$ansible_test" | sed 's/^#!//')
requirements=$("$python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',\$/\1/p" "$requirements" | head -1)
[ -n "$pip_version" ] || { echo "ansible-test.sh: no pip version found in $requirements" >&2; exit 2; }
mkdir -p "$work/home/.ansible/test/cache"
cp "$root/scripts/ansible_test_get_pip.py" "$work/home/.ansible/test/cache/get_pip_${pip_version//./_}.py"

# units: the plugins import the oar_nxc core, which tests/unit/requirements.txt names. ansible-test
# runs pip from a directory of its own with only HOME and PATH of this environment, so the core's
# wheel, built from the staged checkout, is given to pip by the private HOME's pip.conf (find-links).
if [ "${1:-}" = units ]; then
  rm -rf "$work/wheels"
  "$python" -m pip wheel -q --disable-pip-version-check --no-deps -w "$work/wheels" "$dest" >/dev/null
  mkdir -p "$work/home/.config/pip"
  printf '[global]\nfind-links = %s\n' "$work/wheels" > "$work/home/.config/pip/pip.conf"
else
  rm -f "$work/home/.config/pip/pip.conf"
fi

cd "$dest"
HOME=$work/home exec "$ansible_test" "$@"
