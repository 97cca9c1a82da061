"""Hostile input, round two (issue 15): nothing from the manuscript becomes a path on disk.

A section's id names its file in the HTML site and the EPUB; a hostile id
(``../../../outside/PWNED``, an absolute path) used to write outside build/ and
put a zip-slip entry in the EPUB. Each case: the exact located line, exit 1, no
traceback, the last good editions byte for byte, and nothing new outside build/.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from folio.content.names import id_problem, output_name
from folio.pipeline.output import write_tree, zip_bytes
from helpers import Case, break_copy, outputs, run_cli

SAFE = ("a section's id starts with a letter or digit and holds only letters, digits, '-',"
        " '_' and '.'")

CASES = {
    "raw h1 id climbing out": Case(
        "manuscript/chapter1.md", "# Chapter One: Method {#chapter1}",
        '<h1 id="../../../outside/PWNED">Chapter One</h1>',
        f"manuscript/chapter1.md:1: the id '../../../outside/PWNED' cannot name a file: {SAFE}"),
    "raw h1 id, an absolute path": Case(
        "manuscript/chapter1.md", "# Chapter One: Method {#chapter1}",
        '<h1 id="/tmp/outside/PWNED">Chapter One</h1>',
        f"manuscript/chapter1.md:1: the id '/tmp/outside/PWNED' cannot name a file: {SAFE}"),
    "raw h1 id with a backslash": Case(
        "manuscript/chapter1.md", "# Chapter One: Method {#chapter1}",
        '<h1 id="..\\..\\PWNED">Chapter One</h1>',
        f"manuscript/chapter1.md:1: the id '..\\..\\PWNED' cannot name a file: {SAFE}"),
    "id naming a device": Case(
        "manuscript/chapter1.md", "{#chapter1}", "{#nul}",
        f"manuscript/chapter1.md:1: the id 'nul' cannot name a file: {SAFE}"),
    "id too long for a file name": Case(
        "manuscript/chapter1.md", "{#chapter1}", "{#" + "a" * 300 + "}",
        "manuscript/chapter1.md:1: the id '" + "a" * 40 + "...' is 300 characters long;"
        " a section's id names its file and may have at most 100"),
    "two chapters with the same id": Case(
        "manuscript/chapter2.md", "{#chapter2}", "{#chapter1}",
        "manuscript/chapter2.md:1: the section id 'chapter1' names the file of another section:"
        " manuscript/chapter1.md has the id; give one an explicit {#id}"),
    "two ids differing only in case": Case(
        "manuscript/chapter2.md", "{#chapter2}", "{#Chapter1}",
        "manuscript/chapter2.md:1: the section id 'Chapter1' names the file of another section:"
        " manuscript/chapter1.md has an id differing only in case ('chapter1'); give one an"
        " explicit {#id}"),
    "a chapter listed twice": Case(
        "data/contents.yaml", "chapter2.md", "chapter1.md",
        "data/contents.yaml:6: manuscript/chapter1.md is listed twice (line 5): a chapter"
        " comes once in the reading order"),
    "a reserved id in another case": Case(
        "manuscript/chapter2.md", "{#chapter2}", "{#Index}",
        "manuscript/chapter2.md:1: the id 'Index' is reserved; choose another"),
}


def files_outside(top: Path, root: Path) -> list[str]:
    """Every file under ``top`` that is not in the project ``root``'s own folders."""
    return sorted(p.relative_to(top).as_posix() for p in top.rglob("*")
                  if p.is_file() and not p.is_relative_to(root))


@pytest.mark.parametrize("name", CASES)
def test_a_name_from_the_manuscript_never_names_a_file(tiny, copy_built, tmp_path, name):
    root = copy_built(tiny)
    before, around = outputs(root), files_outside(tmp_path, root)
    break_copy(root, CASES[name])
    proc = run_cli("--project", str(root), "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [CASES[name].message]
    assert outputs(root) == before
    assert files_outside(tmp_path, root) == around
    assert not list(Path("/tmp/outside").glob("PWNED*"))


@pytest.mark.parametrize("ident", ["chapter1", "survey-method", "s-1.2", "québec", "état_2",
                                   "chapter-two-findings"])
def test_ordinary_ids_name_files(ident):
    assert id_problem(ident) is None


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/x", "a//b", "./a", "a\\..\\b",
                                 "C:/x", "a\x00b", "", "EPUB/../../../outside/PWNED.xhtml"])
def test_the_writers_refuse_a_path_that_is_not_plainly_inside(tmp_path, rel):
    with pytest.raises(ValueError, match="unsafe output path"):
        output_name(rel)
    with pytest.raises(ValueError, match="unsafe output path"):
        zip_bytes([("mimetype", b"x"), (rel, b"x")])
    with pytest.raises(ValueError, match="unsafe output path"):
        write_tree(tmp_path / "out" / "html", {"index.html": b"x", rel: b"x"})
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out"]  # nothing, not even staging


def test_no_epub_entry_leaves_the_package(tiny):
    with zipfile.ZipFile(tiny.root / f"build/{tiny.pub['slug']}.epub") as epub:
        for name in epub.namelist():
            assert output_name(name) == name
