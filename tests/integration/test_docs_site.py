"""The docs site (scripts/docs.sh): antsibull-docs lint-collection-docs is clean, the site built with
antsibull-docs sphinx-init and Sphinx (warnings are errors) has a page for every plugin, module, filter,
lookup and role, with each role's entry points, plus the README files as guides; a real headless Chromium
opens the index and the inventory plugin's page (screenshots kept under $CI_ARTIFACTS)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.integration import browser

BIN = Path(sys.executable).parent
COLLECTION_PAGES = Path("collections/oar/nxc")
DASH = " \N{EN DASH} "  # between a plugin's name and its short description, in antsibull-docs' titles
INDEX_SEEN = """
const text = (el) => el ? (el.innerText ?? el.textContent).trim() : null;
return {
  title: document.title,
  sidebar: Array.from(document.querySelectorAll('.wy-menu-vertical p.caption')).map(c => c.textContent.trim()),
  captions: Array.from(document.querySelectorAll('.toctree-wrapper p.caption')).map(c => c.textContent.trim()),
  links: Array.from(document.querySelectorAll('.toctree-wrapper a.reference.internal'))
           .map(a => a.getAttribute('href')),
};
"""
PLUGIN_SEEN = """
const text = (el) => el ? (el.innerText ?? el.textContent).trim() : null;
const table = document.querySelector('table.ansible-option-table');
// the screenshot shows the table, below the theme's fixed top bar
if (table) window.scrollTo(0, table.getBoundingClientRect().top + window.scrollY - 100);
return {
  title: (() => { const h = document.querySelector('h1').cloneNode(true);  // without its permalink
                  h.querySelectorAll('a.headerlink').forEach(a => a.remove()); return h.textContent.trim(); })(),
  options: table ? Array.from(table.querySelectorAll('div.ansible-option-cell > div[id^="parameter-"]'))
                     .map(d => d.id.replace(/^parameter-/, '')) : null,
  table_visible: table ? table.getBoundingClientRect().height > 0 : false,
};
"""
ROLE_SEEN = """
return {
  entry_points: Array.from(document.querySelectorAll('section[id^="entry-point-"] > h2'))
                  .map(h => (h.innerText ?? h.textContent).trim()),
};
"""


def docs_env(out: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "OAR_NXC_DOCS_DIR": str(out)}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    start = time.monotonic()
    done = subprocess.run([str(REPO / "scripts" / "docs.sh")], cwd=REPO, env=docs_env(out), capture_output=True,
                          text=True, timeout=600, check=False)
    print(f"docs.sh: {time.monotonic() - start:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # the linter's verdict, and no warning from antsibull-docs or Sphinx (sphinx-build -W fails on one)
    assert "WARNING" not in done.stdout + done.stderr.replace("WARNING: Location", ""), done.stderr[-3000:]
    html = out / "site" / "build" / "html"
    assert (html / "index.html").is_file()
    return html


def expected_pages() -> set[str]:
    """One page per plugin, module, filter, lookup and role of the checkout, named as antsibull-docs names them."""
    pages = {f"{p.stem}_module.html" for p in (REPO / "plugins" / "modules").glob("*.py")}
    pages |= {f"{p.stem}_filter.html" for p in (REPO / "plugins" / "filter").glob("*.yml")}
    for kind in ("lookup", "inventory"):
        pages |= {f"{p.stem}_{kind}.html" for p in (REPO / "plugins" / kind).glob("*.py")}
    pages |= {f"{p.name}_role.html" for p in (REPO / "roles").iterdir() if (p / "meta/argument_specs.yml").exists()}
    return pages


def test_every_plugin_module_filter_lookup_and_role_has_its_page(site: Path) -> None:
    built = {p.name for p in (site / COLLECTION_PAGES).glob("*.html")} - {"index.html"}
    assert built == expected_pages()
    kinds = sorted(name.removesuffix(".html").rsplit("_", 1)[1] for name in built)
    assert {k: kinds.count(k) for k in kinds} == {"module": 12, "filter": 10, "lookup": 2, "inventory": 1, "role": 7}


def test_each_role_page_lists_its_entry_points(site: Path) -> None:
    for spec in sorted((REPO / "roles").glob("*/meta/argument_specs.yml")):
        role = spec.parent.parent.name
        entry_points = yaml.safe_load(spec.read_text())["argument_specs"]
        page = (site / COLLECTION_PAGES / f"{role}_role.html").read_text()
        found = re.findall(r'<section id="entry-point-([a-z_]+)-', page)
        assert found == list(entry_points), role


def test_the_readme_files_are_guides(site: Path) -> None:
    for guide in ("README", "ARCHITECTURE", "docs/ci", "compositions/nfs-home/README", "compositions/master/README",
                  "roles/oar_nxc/README", "inventories/sample/README"):
        page = site / "guides" / f"{guide}.html"
        assert page.is_file(), guide
    readme = (site / "guides" / "README.html").read_text()
    # a link between guides stays a link between the built pages
    assert 'href="ARCHITECTURE.html"' in readme and 'href="docs/ci.html"' in readme
    assert "<h1>oar-nxc" in readme


def test_ansible_docs_labels_link_to_docs_ansible_com(site: Path) -> None:
    page = (site / COLLECTION_PAGES / "nxc_build_module.html").read_text()
    assert ('href="https://docs.ansible.com/projects/ansible/latest/reference_appendices/common_return_values.html"'
            in page)


def inventory_doc() -> dict[str, Any]:
    done = subprocess.run([str(BIN / "ansible-doc"), "-t", "inventory", "--json", "oar.nxc.oar_nxc"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    return dict(json.loads(done.stdout)["oar.nxc.oar_nxc"]["doc"])


def keep(*files: Path) -> None:
    artifacts = os.environ.get("CI_ARTIFACTS")  # .ci/run keeps the screenshots
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(f, Path(artifacts) / f.name)


def test_chromium_shows_the_index_and_the_inventory_plugin_options(site: Path, tmp_path: Path) -> None:
    assert browser.available()
    index_png, plugin_png, role_png = (tmp_path / "docs-index.png", tmp_path / "docs-oar_nxc-inventory.png",
                                       tmp_path / "docs-oar_smoke-role.png")
    index = browser.look_at(site / "index.html", index_png, INDEX_SEEN)
    assert [entry for entry in index.console if entry.get("level") == "SEVERE"] == []
    assert index.page["title"] == "oar.nxc — oar.nxc documentation"
    captions = ["Guides", "Compositions and roles", "Collection", "Plugin indexes", "Reference indexes"]
    assert index.page["captions"] == index.page["sidebar"] == captions
    assert {"guides/README.html", "guides/docs/ci.html", "collections/index.html"} <= {
        link.split("#")[0] for link in index.page["links"]}

    plugin = browser.look_at(site / COLLECTION_PAGES / "oar_nxc_inventory.html", plugin_png, PLUGIN_SEEN)
    assert [entry for entry in plugin.console if entry.get("level") == "SEVERE"] == []
    doc = inventory_doc()
    assert plugin.page["title"] == f"oar.nxc.oar_nxc inventory{DASH}{doc['short_description']}"
    assert plugin.page["table_visible"] is True
    # the top-level options, then suboptions as option/suboption (keyed_groups/prefix)
    assert sorted(o for o in plugin.page["options"] if "/" not in o) == sorted(doc["options"])
    assert "keyed_groups/prefix" in plugin.page["options"]

    role = browser.look_at(site / COLLECTION_PAGES / "oar_smoke_role.html", role_png, ROLE_SEEN)
    assert [re.sub(r"\W+$", "", ep.split(DASH)[0]) for ep in role.page["entry_points"]] == [
        "Entry point main", "Entry point node"]
    for png in (index_png, plugin_png, role_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep(index_png, plugin_png, role_png)
