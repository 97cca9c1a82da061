"""The chapter cache and citeproc's use: only where a citation may be."""

from __future__ import annotations

import subprocess

import pytest

from folio.content.convert import _pandoc_env, make_pandoc, to_html
from helpers import assemble_tiny


@pytest.mark.parametrize("text, cites", [
    ("As @smith2020 shows.", True), ("[@unesco2019, p. 12]", True), ("[-@smith2020]", True),
    ("@{smith2020}", True), ('---\nnocite: "@*"\n---\n', True),
    ("Write to info@example.org.", False), ("No citation at all.", False)])
def test_citeproc_runs_only_where_a_citation_may_be(tmp_path, text, cites):
    root = assemble_tiny(tmp_path / "tiny")
    pandoc = make_pandoc(root, "data/references.yaml", None, None)
    assert ("--citeproc" in pandoc.args(text)) is cites


def test_without_citeproc_the_output_is_the_same(tmp_path):
    root = assemble_tiny(tmp_path / "tiny")
    text = "Write to <info@example.org> or info@example.org, *soon*.[^n]\n\n[^n]: A note.\n"
    pandoc = make_pandoc(root, "data/references.yaml", None, None)
    plain = to_html(pandoc, text, "x.md")
    assert "--citeproc" not in pandoc.args(text)
    proc = subprocess.run(pandoc.args("@"), input=text.encode(),  # as if the text cited
                          capture_output=True, env=_pandoc_env())
    assert proc.returncode == 0 and proc.stdout.decode() == plain
