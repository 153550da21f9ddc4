"""Install the collections galaxy.yml depends on from the `ansible` package of the Python package index.

    python3 scripts/collection_deps.py DEST

antsibull-docs (and ansible-doc behind it) must find every collection that galaxy.yml names. Galaxy
is out of reach from a machine that only reaches the package index, but the `ansible` package ships
those collections. This downloads its wheel (pip, into DEST/wheels) and extracts each dependency, and
theirs, into DEST/ansible_collections/<namespace>/<name>, checking that its version satisfies the range.
Put DEST on ANSIBLE_COLLECTIONS_PATH. With network access to Galaxy, `ansible-galaxy collection install
-p DEST .` does the same.

Exit 0, or 1 naming the collection that is missing or of the wrong version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
# the `ansible` package whose collections are used: the one of the newest ansible-core the collection supports
ANSIBLE_PACKAGE = "ansible>=12,<13"


def download(dest: Path) -> Path:
    wheels = dest / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                    "--only-binary", ":all:", ANSIBLE_PACKAGE, "-d", str(wheels)], check=True, timeout=600)
    found = sorted(wheels.glob("ansible-*.whl"))
    if not found:
        raise SystemExit(f"collection_deps: pip downloaded no wheel for {ANSIBLE_PACKAGE} into {wheels}")
    return found[-1]


def manifest(wheel: zipfile.ZipFile, fqcn: str) -> dict[str, object] | None:
    namespace, name = fqcn.split(".")
    try:
        info = json.loads(wheel.read(f"ansible_collections/{namespace}/{name}/MANIFEST.json"))["collection_info"]
    except KeyError:
        return None
    return dict(info)


def extract(wheel: zipfile.ZipFile, fqcn: str, dest: Path) -> None:
    namespace, name = fqcn.split(".")
    prefix = f"ansible_collections/{namespace}/{name}/"
    for member in wheel.infolist():
        path = PurePosixPath(member.filename)
        if not member.filename.startswith(prefix) or member.is_dir() or ".." in path.parts:
            continue
        target = dest.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(wheel.read(member))


def satisfies(version: str, spec: str) -> bool:
    """Galaxy's ranges: `*`, a bare version (that one), or specifiers joined by commas."""
    spec = spec.strip()
    if spec == "*":
        return True
    return Version(version) in SpecifierSet(f"=={spec}" if spec[:1].isdigit() else spec)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    dest = Path(argv[0])
    wanted = dict(yaml.safe_load((REPO / "galaxy.yml").read_text()).get("dependencies") or {})
    wheel_path = download(dest)
    done: set[str] = set()
    with zipfile.ZipFile(wheel_path) as wheel:
        while wanted:
            fqcn, spec = wanted.popitem()
            if fqcn in done:
                continue
            info = manifest(wheel, fqcn)
            if info is None:
                print(f"collection_deps: {wheel_path.name} has no collection {fqcn}", file=sys.stderr)
                return 1
            version = str(info["version"])
            if not satisfies(version, str(spec)):
                print(f"collection_deps: {wheel_path.name} has {fqcn} {version}, galaxy.yml wants {spec}",
                      file=sys.stderr)
                return 1
            extract(wheel, fqcn, dest)
            print(f"collection_deps: {fqcn} {version} -> {dest / 'ansible_collections'}")
            done.add(fqcn)
            deps = info.get("dependencies") or {}
            if isinstance(deps, dict):
                wanted.update({str(k): str(v) for k, v in deps.items() if k not in done})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
