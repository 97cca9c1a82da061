"""The fallback fonts' coverage, worked out by scripts/setup (``editions/fallback_coverage``):
the same code points as the font's cmap, trusted only for the file pinned today."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from fontTools.ttLib import TTFont

from folio.editions import fallback, fallback_coverage
from folio.theme import THEME

FONT = THEME / "fonts/inconsolata/Inconsolata.otf"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A fallback folder holding one font, and a process that has read no cmap yet."""
    shutil.copy(FONT, tmp_path / "Mono-Regular.otf")
    monkeypatch.setattr(fallback, "FOLDER", tmp_path)
    monkeypatch.setattr(fallback, "_CMAPS", {})
    monkeypatch.setattr(fallback, "_FONTS", {})
    return tmp_path


def pins(folder) -> dict[str, str]:
    return {"Mono-Regular.otf": hashlib.sha256((folder / "Mono-Regular.otf").read_bytes()).hexdigest()}


def test_the_coverage_written_is_the_fonts_cmap(folder):
    fallback_coverage.write(folder, pins(folder))
    [(key, runs)] = fallback_coverage.covered(folder, pins(folder)).items()
    assert key == ("Mono-Regular.otf", 0)
    assert fallback_coverage.points(runs) == frozenset(TTFont(FONT).getBestCmap())


def test_a_line_for_another_file_than_the_pinned_one_is_ignored(folder):
    fallback_coverage.write(folder, pins(folder))
    assert fallback_coverage.covered(folder, {"Mono-Regular.otf": "0" * 64}) == {}
    assert fallback_coverage.covered(folder / "nowhere", pins(folder)) == {}


def test_cmap_reads_the_coverage_and_decompiles_without_it(folder, monkeypatch):
    source = fallback.Source("Mono-Regular.otf")
    # A coverage line that no font has: cmap answers from it, without opening the font.
    monkeypatch.setattr(fallback, "coverage", lambda: {("Mono-Regular.otf", 0): "41-43,100"})
    assert fallback.cmap(source) == {0x41, 0x42, 0x43, 0x100}
    assert source not in fallback._FONTS
    monkeypatch.setattr(fallback, "_CMAPS", {})
    monkeypatch.setattr(fallback, "coverage", dict)
    assert fallback.cmap(source) == frozenset(TTFont(FONT).getBestCmap())
