"""Manuscript lint: an image without alt text, a skipped heading level and a link to a missing
id each stop the build with one located line, before anything is written."""

from __future__ import annotations

import pytest

import folio
from helpers import outputs


def _append(root, text: str) -> None:
    path = root / "manuscript/chapter2.md"
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def _problems(root) -> list[str]:
    with pytest.raises(folio.BuildError) as info:
        folio.build(root)
    return [str(p) for p in info.value.problems]


def test_each_fault_is_named_at_its_line_and_nothing_is_written(tiny, copy_built):
    root = copy_built(tiny)
    before = outputs(root)
    lines = (root / "manuscript/chapter2.md").read_text("utf-8").count("\n")
    _append(root, "\n![](img/red-square.png)\n\n#### Too deep\n\nSee [this](#no-such-id).\n")
    assert sorted(_problems(root)) == sorted([
        f"manuscript/chapter2.md:{lines + 2}: image 'img/red-square.png' has no alt text:"
        " describe it, as in ![what it shows](img/red-square.png)",
        f"manuscript/chapter2.md:{lines + 4}: heading level skipped: 'Too deep' is an h4"
        " after an h2 (use h3)",
        f"manuscript/chapter2.md:{lines + 6}: link to a missing id '#no-such-id'",
    ])
    assert outputs(root) == before


def test_an_image_with_alt_text_or_marked_decorative_passes(tiny, copy_built):
    root = copy_built(tiny)
    _append(root, "\nA rule: ![](img/red-square.png){.decorative} and"
                  " ![a red square](img/red-square.png).\n\n### Deeper, one level\n")
    folio.build(root, ("html",))
    page = (root / "build/html/chapter2.html").read_text("utf-8")
    assert 'alt="a red square"' in page


def test_a_heading_may_go_back_up_any_number_of_levels(tiny, copy_built):
    root = copy_built(tiny)
    _append(root, "\n### Three\n\n#### Four\n\n## Two again\n")
    folio.build(root, ("html",))
