"""The print profile: the ``print:`` block of ``data/publication.yaml``.

What a printer needs to know to make the book: the trim size, the bleed, the marks,
the paper (for the spine's width), the colour (the PDF/X output intent) and the
interior's page multiple. Every default is what a print-on-demand service
(KDP Print, IngramSpark) accepts as it is: 6 x 9 in, 0.125 in of bleed, no marks,
white paper, an even page count, CMYK with text in black ink alone.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Points per unit of a length in the profile.
UNITS = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0}
_LENGTH = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(in|mm|cm|pt)\s*$")


def points(length: str) -> float:
    """A length of the profile ('6in', '3.175mm', '432pt') in PDF points."""
    match = _LENGTH.match(length)
    if not match:
        raise ValueError(f"not a length: {length!r} (a number and in, mm, cm or pt, e.g. '6in')")
    return float(match.group(1)) * UNITS[match.group(2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trim(_Model):
    """The size of the cut page."""

    width: str = "6in"
    """Width of the trimmed page, with its unit: in, mm, cm or pt."""
    height: str = "9in"
    """Height of the trimmed page, with its unit."""

    @field_validator("width", "height")
    @classmethod
    def _length(cls, value: str) -> str:
        if points(value) <= 0:
            raise ValueError("must be more than 0")
        return value


class Paper(_Model):
    """The interior's paper, which sets the spine's width: give pages_per_inch or caliper."""

    pages_per_inch: float | None = Field(default=444.0, gt=0)
    """Pages (not leaves) per inch of spine. 444 is KDP Print's white paper (0.002252 in a page)."""
    caliper: str | None = None
    """Or: the thickness of one leaf (two pages), with its unit, e.g. '0.1mm'; used instead when given."""

    @model_validator(mode="after")
    def _one_measure(self) -> Paper:
        if self.caliper is not None:
            points(self.caliper)
        return self

    def spine(self, pages: int) -> float:
        """The spine's width in points for an interior of ``pages`` pages."""
        if self.caliper is not None:
            return points(self.caliper) * pages / 2
        return 72.0 * pages / (self.pages_per_inch or 444.0)


class Colour(_Model):
    """The colour the printer prints in: the PDF/X output intent."""

    space: Literal["cmyk"] = "cmyk"
    """The press's colour space. Only 'cmyk': every colour is set in CMYK, text in black ink (K) alone."""
    profile: str = "templates/icc/default_cmyk.icc"
    """The ICC profile of the printing condition, relative to the project. The default is
    Ghostscript's Artifex CMYK SWOP profile (Debian libgs-common), copied by scripts/setup."""
    condition: str = "CGATS TR 001"
    """The output condition's identifier in the ICC registry (CGATS TR 001: SWOP, US web coated)."""
    info: str = "Artifex CMYK SWOP Profile (US web coated, SWOP)"
    """The output condition in words, for the printer."""
    registry: str = "http://www.color.org"
    """The registry where the condition is defined."""


class Print(_Model):
    """``print:`` in publication.yaml: how the print edition (interior and cover spread) is made."""

    trim: Trim = Trim()
    """The trimmed page size."""
    bleed: str = "0.125in"
    """Bleed beyond the trim on every side (the cover's colour runs into it). 0.125 in = 3.175 mm."""
    marks: Literal["none", "crop"] = "none"
    """'none' (print on demand wants none) or 'crop': crop marks drawn outside the bleed, in the slug."""
    slug: str = "0.375in"
    """With marks: crop, the area outside the bleed that holds them (the sheet grows by it)."""
    page_multiple: int = Field(default=2, ge=1)
    """The interior is padded with blank pages to a multiple of this (2: even; offset: 4, 8, 16)."""
    paper: Paper = Paper()
    """The interior's paper, for the spine."""
    colour: Colour = Colour()
    """The output intent."""
    isbn: str | None = Field(default=None, pattern=r"^97[89][0-9]{10}$")
    """The print edition's ISBN-13, digits only: printed as a barcode on the back cover. None: no barcode."""
    spine_text_min: str = "0.25in"
    """The narrowest spine that carries text (title, publisher); a narrower one is left blank."""

    @field_validator("bleed", "slug", "spine_text_min")
    @classmethod
    def _length(cls, value: str) -> str:
        points(value)
        return value

    @model_validator(mode="after")
    def _marks_outside_bleed(self) -> Print:
        if self.marks == "crop" and points(self.slug) < 9:
            raise ValueError("marks: crop needs a slug of at least 9pt (1/8 in) to hold the marks")
        return self
