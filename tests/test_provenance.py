"""The provenance manifest, ``verify`` and ``release``, on a private build of the tiny report."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

import folio
from folio.commands.release import release
from folio.commands.verify import verify
from folio.content import convert, render
from folio.editions.pdf.cover import page_png
from folio.pipeline import provenance
from helpers import assemble_tiny


@pytest.fixture(scope="module")
def built(tiny, tmp_path_factory):
    """A copy of the session's built tiny report: these tests alter its build/."""
    return Path(shutil.copytree(tiny.root, tmp_path_factory.mktemp("prov") / "report"))


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_records_sources_tools_and_every_output(built):
    manifest = json.loads((built / "build/manifest.json").read_text())
    assert manifest["inputs"]["manuscript/chapter1.md"] == sha(built / "manuscript/chapter1.md")
    assert "templates/fonts/fonts.css" in manifest["inputs"]
    assert {"python", "pandoc", "weasyprint", "ebooklib"} <= set(manifest["tools"])
    assert manifest["source"] == {"commit": None, "dirty": None}  # a copy outside git
    outputs = {o["path"]: o for o in manifest["outputs"]}
    files = [p for p in (built / "build").rglob("*")
             if p.is_file() and ".cache" not in p.parts and p.name != "manifest.json"]
    assert sorted(outputs) == sorted(p.relative_to(built / "build").as_posix() for p in files)
    for path in files:
        entry = outputs[path.relative_to(built / "build").as_posix()]
        assert (entry["size"], entry["sha256"]) == (path.stat().st_size, sha(path))
    pdf = outputs["tiny-report.pdf"]
    assert pdf["pages"] >= 5
    assert outputs["tiny-report-print-cover.pdf"]["pages"] == 1  # the print edition's cover spread


def test_verify_passes_on_a_fresh_build(built):
    assert verify(built) == []


def test_verify_names_an_altered_edition(built, tmp_path):
    """An edition altered by hand is named from the manifest: the rebuild is a copy of the
    build as it was (test_verify_passes_on_a_fresh_build shows a real rebuild matches it)."""
    pristine = Path(shutil.copytree(built / "build", tmp_path / "pristine"))
    page = built / "build/html/chapter1.html"
    original = page.read_bytes()
    page.write_bytes(original + b"\n<!-- edited by hand -->")
    try:
        problems = verify(built, rebuild=lambda root, out_dir: shutil.copytree(
            pristine, out_dir, dirs_exist_ok=True))
    finally:
        page.write_bytes(original)
    assert problems == [f"{page}: altered since the build (sha256 differs from the manifest)"]


@pytest.mark.slow  # a whole rebuild; the other verify tests keep verify.py in the fast lane
def test_verify_names_the_inner_file_of_an_epub_the_sources_no_longer_give(built):
    chapter = built / "manuscript/chapter2.md"
    original = chapter.read_text()
    chapter.write_text(original.replace("each site was scored once", "each site was scored twice"))
    try:
        problems = verify(built)
    finally:
        chapter.write_text(original)
    epub = [p for p in problems if ".epub:" in p and not p.startswith("html/")]
    assert len(epub) == 1 and "EPUB/chapter2.xhtml" in epub[0]
    # The site's copy of the EPUB (its download) is named too.
    assert [p for p in problems if p.startswith("html/downloads/") and "EPUB/chapter2.xhtml" in p]
    assert "EPUB/chapter1.xhtml" not in epub[0]
    assert "html/chapter2.html: a rebuild gives different bytes" in problems


def test_release_writes_versioned_editions_checksums_and_an_opds_feed(built, tmp_path):
    dist = tmp_path / "dist"
    release(built, dist_dir=dist)
    slug = "tiny-report"
    version = "1.0"
    names = sorted(p.name for p in dist.iterdir())
    assert names == sorted(["SHA256SUMS", "manifest.json", "opds.xml", f"{slug}-{version}.pdf",
                            f"{slug}-{version}-print.pdf", f"{slug}-{version}-print-cover.pdf",
                            f"{slug}-{version}.epub",
                            f"{slug}-{version}-html.zip", f"{slug}-{version}-cover.png",
                            f"{slug}-{version}-thumbnail.png"])
    assert (dist / f"{slug}-{version}.pdf").read_bytes() == (built / "build" / f"{slug}.pdf").read_bytes()
    assert ((dist / f"{slug}-{version}-print.pdf").read_bytes()
            == (built / "build" / f"{slug}-print.pdf").read_bytes())
    # The store cover: page 1 of the PDF, at least the 1600 x 2560 retailers ask for.
    cover = (dist / f"{slug}-{version}-cover.png").read_bytes()
    assert cover == page_png((built / "build" / f"{slug}.pdf").read_bytes(), 0, long_side=2560)
    with Image.open(io.BytesIO(cover)) as image:
        assert image.width >= 1600 and image.height >= 2560
    with Image.open(dist / f"{slug}-{version}-thumbnail.png") as thumb:
        assert max(thumb.size) == 300 and thumb.format == "PNG"
    sums = dict(line.split("  ")[::-1] for line in (dist / "SHA256SUMS").read_text().splitlines())
    assert sums.keys() == set(names) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert sha(dist / name) == digest
    with zipfile.ZipFile(dist / f"{slug}-{version}-html.zip") as zf:
        assert f"{slug}-{version}-html/index.html" in zf.namelist()
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    feed = etree.parse(str(dist / "opds.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/terms/"}
    entry = feed.find("a:entry", ns)
    all_links = entry.findall("a:link", ns)
    links = {link.get("type"): link for link in all_links if "acquisition" in link.get("rel")}
    assert set(links) == {"application/pdf", "application/epub+zip", "application/zip"}
    assert all(link.get("rel") == "http://opds-spec.org/acquisition" for link in links.values())
    # The reader's PDF, not the printer's:
    assert links["application/pdf"].get("href") == f"{slug}-{version}.pdf"
    images = {link.get("rel"): link.get("href") for link in all_links if link.get("type") == "image/png"}
    assert images == {"http://opds-spec.org/image": f"{slug}-{version}-cover.png",
                      "http://opds-spec.org/image/thumbnail": f"{slug}-{version}-thumbnail.png"}
    assert links["application/epub+zip"].get("href") == f"{slug}-{version}.epub"
    assert entry.findtext("dc:language", namespaces=ns)


def test_release_is_reproducible(built, tmp_path):
    release(built, dist_dir=tmp_path / "one")
    release(built, dist_dir=tmp_path / "two")
    for path in sorted((tmp_path / "one").iterdir()):
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name


def test_a_build_runs_git_hashes_its_inputs_and_reads_pandoc_s_version_once(tmp_path, monkeypatch):
    root = assemble_tiny(tmp_path / "report")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "sources"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    calls: dict[str, list] = {"git": [], "inputs": [], "jinja": [], "pandoc --version": []}

    def counted(name, real):
        def call(*args, **kwargs):
            calls[name].append(args)
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(provenance, "git", counted("git", provenance.git))
    monkeypatch.setattr(provenance, "hash_inputs", counted("inputs", provenance.hash_inputs))
    monkeypatch.setattr(render, "make_environment", counted("jinja", render.make_environment))
    real_run = subprocess.run

    def run(args, *rest, **kwargs):
        if "--version" in args and str(convert.pandoc_path()) in map(str, args):
            calls["pandoc --version"].append(args)
        return real_run(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    folio.build(root)
    # Each question once: the commit, whether the inputs differ from it, and the last commit's
    # date (SOURCE_DATE_EPOCH is not set). Before: 9 git runs in a checkout, git log 5 times.
    commands = [args[1] for args in calls["git"]]
    assert len(commands) == len(set(commands)) <= 3 and commands[-1] == "log"
    # The plan, the manifest and the dirty check share one reading of the inputs.
    assert len(calls["inputs"]) == 1
    assert len(calls["jinja"]) == 1  # one Jinja environment for the gather and every edition
    assert len(calls["pandoc --version"]) == 1
    manifest = json.loads((root / "build/manifest.json").read_text())
    assert manifest["source"] == {"commit": head, "dirty": False}
    with open(root / "data/publication.yaml", "a", encoding="utf-8") as fh:
        fh.write("# an edit not committed\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for found in calls.values():
        found.clear()
    folio.build(root, ("html",))
    commands = [args[1] for args in calls["git"]]
    assert len(commands) == len(set(commands)) <= 2 and "log" not in commands  # the date is given
    assert json.loads((root / "build/manifest.json").read_text())["source"] == \
        {"commit": head, "dirty": True}
