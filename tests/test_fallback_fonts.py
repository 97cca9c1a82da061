"""What folio reads of a font with HarfBuzz (``editions/fallback.py``): its cmap and its
kind, checked against fontTools' reading of the same files."""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from folio.editions import fallback
from folio.theme import THEME

BUNDLE = sorted((THEME / "fonts").rglob("*.otf"))


@pytest.mark.parametrize("path", BUNDLE, ids=lambda p: p.name)
def test_cmap_is_the_fonts_best_cmap(path):
    assert fallback.cmap(path) == frozenset(TTFont(path, lazy=True).getBestCmap())


def test_a_fallback_faces_cmap_is_its_own_in_a_collection():
    cjk = [s for s in (fallback.Source("NotoSerifCJK-Regular.ttc", i) for i in (0, 2))
           if s.path.is_file()]
    if not cjk:
        pytest.fail("the fallback fonts are missing: run scripts/setup")
    for source in cjk:
        expected = TTFont(source.path, fontNumber=source.index, lazy=True).getBestCmap()
        assert fallback.cmap(source) == frozenset(expected)
        assert not fallback.is_cff(source) or "CFF " in TTFont(source.path, fontNumber=source.index)


# Linux Biolinum's PANOSE leaves its serif style "any" (0): only a name says it is sans.
@pytest.mark.parametrize(("name", "family", "kind"), [
    ("inconsolata/Inconsolata.otf", "Report", "mono"),  # fixed pitch
    ("linux-libertine/LinLibertine_R.otf", "Report", "serif"),
    ("linux-biolinum/LinBiolinum_R.otf", "Report", "serif"),
    ("linux-biolinum/LinBiolinum_R.otf", "Report Sans", "sans"),
    ("linux-libertine/LinLibertine_R.otf", "Report Mono", "mono"),
])
def test_kind_from_the_fonts_tables_or_its_names(name, family, kind, monkeypatch):
    monkeypatch.setattr(fallback, "_KINDS", {})
    assert fallback.kind_of(THEME / "fonts" / name, family) == kind
