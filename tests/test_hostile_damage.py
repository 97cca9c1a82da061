"""Hostile input, round two (issue 15): silent damage made loud, images checked by their
content, CRLF sources giving the same bytes, and no release of stale editions.

Each refusal: the exact located line, exit 1, no traceback, the last good editions byte
for byte (``assert_refused``).
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image

from folio.errors import BuildError
from helpers import PYTHON, REPO, Case, assemble_tiny, assert_refused, break_copy, outputs, run_cli

USE = "manuscript/chapter2.md:7: image 'img/{}'"


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "PNG")
    return out.getvalue()


def _bomb() -> bytes:
    """A small PNG whose header claims 20,000 x 20,000 pixels."""
    data = bytearray(_png(8, 8))
    ihdr = struct.pack(">II", 20_000, 20_000) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _saved(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, kind)
    return out.getvalue()


IMAGES = {
    "empty": ("empty.png", lambda: b"", "is an empty file"),
    "corrupt": ("corrupt.png", lambda: _png(8, 8)[:40] + b"\0" * 40,
                "is not a readable image (use .png, .jpg, .jpeg, .gif files)"),
    "not an image at all": ("text.png", lambda: b"hello, world\n",
                            "is not a readable image (use .png, .jpg, .jpeg, .gif files)"),
    "decompression bomb": ("bomb.png", _bomb, "has 20,000 x 20,000 pixels; an image may have"
                           " at most 40,000,000: scale it down"),
    "WebP": ("photo.webp", lambda: _saved("WEBP"),
             "is a WEBP image, which an EPUB cannot carry: convert it to PNG or JPEG"),
    "BMP": ("photo.bmp", lambda: _saved("BMP"),
            "is a BMP image, which an EPUB cannot carry: convert it to PNG or JPEG"),
    "JPEG named .png": ("photo.png", lambda: _saved("JPEG"),
                        "is a JPEG image named '.png': rename it to '.jpg'"),
}


@pytest.mark.parametrize("name", IMAGES)
def test_an_image_is_checked_by_its_content(tiny, copy_built, name):
    root = copy_built(tiny)
    file, make, reason = IMAGES[name]
    (root / "manuscript/img" / file).write_bytes(make())
    break_copy(root, Case("manuscript/chapter2.md", "img/red-square.png", f"img/{file}", ""))
    assert_refused(root, [f"{USE.format(file)} {reason}"])


def test_an_image_named_with_a_space_is_found_and_renaming_it_is_asked(tiny, copy_built):
    root = copy_built(tiny)
    os.replace(root / "manuscript/img/red-square.png", root / "manuscript/img/red square.png")
    break_copy(root, Case("manuscript/chapter2.md", "img/red-square.png", "<img/red square.png>",
                          ""))
    assert_refused(root, ["manuscript/chapter2.md:7: image 'img/red square.png' has a file name"
                          " a web address must escape (the EPUB cannot carry it): rename the"
                          " file, as 'img/red-square.png'"])


def test_an_image_named_with_accents_is_fine(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    os.replace(root / "manuscript/img/red-square.png", root / "manuscript/img/carré-rouge.png")
    break_copy(root, Case("manuscript/chapter2.md", "img/red-square.png", "img/carré-rouge.png",
                          ""))
    proc = run_cli("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr
    assert (root / "build/html/manuscript/img/carré-rouge.png").is_file()


SILENT = {
    "an explicit id equal to a template heading's id": Case(
        "manuscript/chapter2.md", "{#what-we-found}", "{#references}",
        "manuscript/chapter2.md:5: the id 'references' is taken by"
        " templates/sections/references.html (the design's): links to it would lead there;"
        " choose another"),
    "two level-1 headings in a chapter": Case(
        "manuscript/chapter2.md", "## What We Found", "# What We Found",
        "manuscript/chapter2.md:5: a second level-1 heading: a chapter has one (# Title), the"
        " contents and the EPUB's navigation list no other; make this one ## or start a"
        " chapter"),
}


@pytest.mark.parametrize("name", SILENT)
def test_silent_damage_is_refused(tiny, copy_built, name):
    root = copy_built(tiny)
    break_copy(root, SILENT[name])
    assert_refused(root, [SILENT[name].message])


def test_two_chapters_with_the_same_heading_and_no_id(tiny, copy_built):
    """Each would be written to chapter-one-method.html: refused, not overwritten."""
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter1.md", " {#chapter1}", "", ""))
    break_copy(root, Case("manuscript/chapter2.md", "# Chapter Two: Findings {#chapter2}",
                          "# Chapter One: Method", ""))
    assert_refused(root, ["manuscript/chapter2.md:1: the section id 'chapter-one-method' names"
                          " the file of another section: manuscript/chapter1.md has the id;"
                          " give one an explicit {#id}"])


@pytest.mark.parametrize("text, message", [
    ("not xml at all", "templates/csl/style.csl:1: not a citation style: not well-formed XML"
                       " (Start tag expected, '<' not found)"),
    ('<?xml version="1.0"?>\n<html/>\n', "templates/csl/style.csl:2: not a citation style:"
                                          " its root element is not a CSL <style>"
                                          ' (xmlns="http://purl.org/net/xbiblio/csl")'),
])
def test_a_citation_style_that_is_not_csl_is_one_message(tiny, copy_built, text, message):
    root = copy_built(tiny)
    for old in (root / "templates/csl").glob("*.csl"):
        old.unlink()
    (root / "templates/csl/style.csl").write_text(text, "utf-8")
    assert_refused(root, [message])


def _crlf(root: Path) -> None:
    for folder in ("data", "manuscript", "templates"):
        for path in (root / folder).rglob("*"):
            if path.suffix in (".md", ".yaml", ".html", ".xhtml", ".css", ".js", ".csl"):
                path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def test_crlf_sources_give_the_same_editions(tmp_path):
    """A Windows checkout (core.autocrlf) of the same report gives the same bytes."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    built = {}
    for name in ("lf", "crlf"):
        root = assemble_tiny(tmp_path / name)
        if name == "crlf":
            _crlf(root)
            assert b"\r\n" in (root / "manuscript/chapter2.md").read_bytes()
        proc = subprocess.run([PYTHON, "-m", "folio", "--project", str(root), "--quiet", "html",
                               "epub"], cwd=REPO, capture_output=True, text=True, timeout=600,
                              env=env)
        assert proc.returncode == 0, proc.stderr
        built[name] = outputs(root)
    assert built["lf"].keys() == built["crlf"].keys()
    for rel in built["lf"]:
        assert built["lf"][rel] == built["crlf"][rel], rel


def test_release_refuses_stale_editions_naming_what_changed(tiny, copy_built, tmp_path):
    from folio.commands.release import release

    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit.\n", ""))
    with pytest.raises(BuildError) as caught:
        release(root, dist_dir=tmp_path / "dist")
    assert str(caught.value) == ("build/manifest.json: the editions are stale:"
                                 " manuscript/chapter2.md changed since the last build; run"
                                 " 'invoke build' before 'invoke release'")
    assert not (tmp_path / "dist").exists()


def test_release_refuses_an_edition_changed_after_its_build(tiny, copy_built, tmp_path):
    from folio.commands.release import release

    root = copy_built(tiny)
    (root / "build/html/chapter2.html").write_text("<p>edited by hand</p>", "utf-8")
    with pytest.raises(BuildError, match=r"^build/manifest.json: build/html/chapter2.html"
                                         r" changed since it was built"):
        release(root, dist_dir=tmp_path / "dist")
    assert not (tmp_path / "dist").exists()
