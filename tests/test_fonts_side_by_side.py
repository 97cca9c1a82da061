"""Fonts cut side by side (``editions/subsets.py``, threads) are the bytes each cut alone gives,
and a subset cut once is read back, not cut again."""

from __future__ import annotations

from folio.editions import subsets as fonts
from folio.theme import THEME

FACES = {name: (THEME / "fonts" / name).read_bytes()
         for name in ("linux-libertine/LinLibertine_R.otf", "linux-biolinum/LinBiolinum_R.otf",
                      "inconsolata/Inconsolata.otf")}
TEXT = "Mobilizing the Will to Intervene: 1994–2004 — “Rwanda”"


def test_cut_side_by_side_as_alone(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_MADE", {})
    together = fonts.subset_fonts(FACES, TEXT, "woff2", cache=tmp_path)
    assert len(list(tmp_path.iterdir())) == len(FACES)
    for name, data in FACES.items():
        monkeypatch.setattr(fonts, "_MADE", {})
        alone = fonts.subset_font(data, TEXT, "woff2")
        assert together[name.replace(".otf", ".woff2")] == alone


def test_a_cached_subset_is_read_back(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "_MADE", {})
    first = fonts.subset_fonts(FACES, TEXT, cache=tmp_path)
    monkeypatch.setattr(fonts, "_MADE", {})
    monkeypatch.setattr(fonts, "_subset", lambda *args: b"cut again")
    assert fonts.subset_fonts(FACES, TEXT, cache=tmp_path) == first
