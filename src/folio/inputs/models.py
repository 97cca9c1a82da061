"""Typed schemas for the data files the package itself reads: the publication, the reading
order, the bibliography and the contributors (every other file is the project's: schemas.py).

Every model forbids unknown keys, so a typo is an error, not a silent no-op.
Field docstrings are the reference for editors. They are not given to pydantic
(``use_attribute_docstrings``): nothing reads them at run time, and pydantic would read
and parse this file's source at every start (~30 ms of each build).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from folio.inputs.printing import Print


class Model(BaseModel):
    """Base: frozen, strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- publication.yaml -------------------------------------------------------


class Source(Model):
    """A work whose text this edition reuses, credited in the imprint and the colophon.

    Give only what the work itself says of itself: a field left out (an address, a
    revision, a licence version) is left out of the credit, never guessed.
    """

    id: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    """Key by which a chapter names it: {{ publication.sources.ID.title }}."""
    title: str
    """Title of the reused work."""
    kind: str
    """What it is, e.g. 'encyclopedia article'."""
    creator: str
    """Who made it, as the credit names them, e.g. 'its contributors'."""
    url: str | None = None
    """Address of the work, when known."""
    revision: str | None = None
    """The revision or version of the work that was used, when known."""
    license: str
    """Licence name, e.g. 'CC BY-SA'."""
    license_version: str | None = None
    """Licence version, e.g. '4.0', when the work states it."""
    license_url: str | None = None
    """Address of the licence text, when the version is known."""
    section: str | None = None
    """Id of the section of this edition adapted from it."""
    changes: tuple[str, ...] = ()
    """Each change made to its text, named as the credit lists it."""


class Accessibility(Model):
    """How accessible the editions are (EPUB Accessibility 1.1 metadata, schema.org terms).

    Unset lists are derived from the report: 'visual' and alternativeText only
    when it has images; pageNavigation and pageBreakMarkers when the EPUB has
    the print edition's page list.
    """

    summary: str | None = None
    """Human-readable accessibility summary (schema:accessibilitySummary); default: derived."""
    access_modes: tuple[str, ...] = ()
    """schema:accessMode values (textual, visual...); default: derived from the content."""
    access_mode_sufficient: tuple[str, ...] = ("textual",)
    """schema:accessModeSufficient: sets of modes, each comma-separated, e.g. 'textual'."""
    features: tuple[str, ...] = ("structuralNavigation", "tableOfContents", "readingOrder",
                                 "displayTransformability")
    """schema:accessibilityFeature values; page and image features are added when they apply."""
    hazards: tuple[str, ...] = ("none",)
    """schema:accessibilityHazard values (none, flashing, motionSimulation, sound...)."""
    conforms_to: str = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
    """The standard the EPUB claims to meet (dcterms:conformsTo)."""
    certified_by: str | None = None
    """Who evaluated the conformance (a11y:certifiedBy); default: the publisher."""
    page_break_source: str | None = None
    """What the page list follows (pageBreakSource); default: the print PDF's identifier."""


class Publication(Model):
    """``data/publication.yaml``: the metadata of the publication."""

    title: str
    """Main title."""
    subtitle: str | None = None
    """Subtitle, shown after the title."""
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    """Base name of the output files (lower case, digits, hyphens)."""
    language: str = Field(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
    """BCP 47 language tag of the text, e.g. 'en' or 'fr-CA'."""
    publisher: str
    """Publishing institution, in full."""
    publisher_short: str | None = None
    """Short name or acronym of the publisher."""
    institution: str | None = None
    """Parent institution (e.g. the university)."""
    place: str | None = None
    """Place of publication."""
    project: str | None = None
    """The project the publication belongs to."""
    version: str = Field(default="1.0", pattern=r"^[0-9A-Za-z][0-9A-Za-z.+-]*$")
    """Version of this edition, used in the release file names (dist/<slug>-<version>.pdf)."""
    date: dt.date
    """Date of publication of this edition (ISO 8601): the editions' fixed date, and the year
    printed on the cover, the title page and the imprint."""
    year: int | None = None
    """Year of publication; leave it out: it is the year of ``date`` (given, it must agree)."""
    edition: str | None = None
    """Edition statement printed in the imprint: what this edition is."""
    identifier: str = Field(pattern=r"^(urn:uuid:[0-9a-f-]{36}|urn:isbn:[0-9X-]+|https?://\S+)$")
    """Stable unique identifier: urn:uuid:..., urn:isbn:... or a URL."""
    rights: str | None = None
    """Rights statement, when the publisher has one; left out of the editions when unset."""
    description: str | None = None
    """One-paragraph description for catalogues (see also ``description_from``)."""
    description_from: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_.:-]*$")
    """Id of a section whose first paragraph is the description, so that it is typed once."""
    subjects: tuple[str, ...] = ()
    """Keywords."""
    sources: tuple[Source, ...] = ()
    """Reused works to credit."""
    accessibility: Accessibility = Accessibility()
    """Accessibility metadata of the EPUB edition."""
    contributors: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]*$")
    """Data file listing the people who made the publication by role, e.g. 'team' for
    data/team.yaml; its authors (relator 'aut') and contributors go into the metadata."""
    isbn: str | None = Field(default=None, pattern=r"^(97[89])?[0-9-]{9,16}[0-9X]$")
    """ISBN of the EPUB edition, when it has one (it becomes a ``urn:isbn:`` identifier). The
    print edition's is ``print: isbn:`` (``press.isbn``): its cover's barcode and the EPUB's
    ``dc:source``."""
    base_url: str | None = Field(default=None, pattern=r"^https://\S+/$")
    """Where the website is published (https, ending in /): canonical links and a sitemap."""
    press: Print = Field(default=Print(), alias="print")
    """``print:``, the print profile: trim, bleed, marks, paper, colour, the print ISBN (see
    inputs/printing.py)."""

    @model_validator(mode="before")
    @classmethod
    def _year_of_date(cls, value):
        """``year`` is the year of ``date``, typed once; a ``year`` that disagrees is an error."""
        if isinstance(value, dict) and "date" in value:
            try:
                year = dt.date.fromisoformat(str(value["date"])).year
            except ValueError:
                return value  # the date's own error says it
            if value.get("year") is None:
                return {**value, "year": year}
            if value["year"] != year:
                raise ValueError(f"year {value['year']} is not the year of date {value['date']}:"
                                 " leave 'year' out")
        return value

    @property
    def full_title(self) -> str:
        """Title and subtitle joined as a catalogue would."""
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title


# --- contents.yaml ----------------------------------------------------------


class Entry(Model):
    """One section in the reading order: a Markdown file, a template, or both."""

    source: str | tuple[str, ...] | None = None
    """Markdown file, relative to ``manuscript/``; or a list of files that make one section,
    in order (a chapter whose sub-chapters are files of their own, each starting with ##)."""
    template: str | None = None
    """Jinja2 template, relative to ``templates/sections/``."""
    id: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_.:-]*$")
    """Section id (also its file name); defaults to the id of the file's first heading."""
    title: str | None = None
    """Section title; defaults to the text of the file's first heading."""
    type: str | None = None
    """EPUB structural semantics (titlepage, toc, preface, chapter, bibliography...)."""
    toc: bool = True
    """Whether the section is listed in the tables of contents."""


    @field_validator("source")
    @classmethod
    def _some_files(cls, value):
        """A list of files lists at least one."""
        if isinstance(value, tuple) and not value:
            raise ValueError("a list of source files lists at least one")
        return value

    @property
    def sources(self) -> tuple[str, ...]:
        """The Markdown files of the entry, in order (none for a template alone)."""
        if self.source is None:
            return ()
        return (self.source,) if isinstance(self.source, str) else self.source


class Contents(Model):
    """``data/contents.yaml``: the reading order, declared once."""

    front: tuple[Entry, ...] = ()
    """Front matter, before the chapters."""
    body: tuple[Entry, ...]
    """The chapters."""
    back: tuple[Entry, ...] = ()
    """Back matter, after the chapters."""

    @field_validator("front", "body", "back", mode="before")
    @classmethod
    def _nothing_listed(cls, value):
        """``body:`` with nothing under it (YAML null) lists nothing, like ``body: []``."""
        return () if value is None else value


# --- the contributors (the file publication.yaml names) -------------------


class Person(Model):
    """A person named in a list."""

    name: str
    """Name as printed."""
    file_as: str | None = None
    """Sort name, e.g. 'Dallaire, Roméo' (default: the last word of the name first)."""


class Role(Model):
    """A role and the people who hold it."""

    title: str
    """Role as printed, e.g. 'Co-directors'."""
    relator: str = Field(default="ctb", pattern=r"^[a-z]{3}$")
    """MARC relator code for the ebook metadata (aut = author, res = researcher...)."""
    members: tuple[Person, ...] = Field(min_length=1)
    """The people in this role."""


class Contributors(Model):
    """The data file ``publication.contributors`` names: the people who made it, by role."""

    title: str
    """Heading of the list."""
    roles: tuple[Role, ...] = Field(min_length=1)
    """Roles in print order."""

    def credits(self) -> tuple[tuple[str, str], ...]:
        """Every (name, MARC relator), in print order."""
        return tuple((person.name, role.relator) for role in self.roles for person in role.members)


# --- references.yaml (CSL YAML, read by pandoc's citeproc) ------------------

CSL_TYPES = Literal[
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "dataset", "document", "entry", "entry-dictionary",
    "entry-encyclopedia", "hearing", "interview", "legal_case", "legislation", "manuscript",
    "map", "motion_picture", "pamphlet", "paper-conference", "patent", "personal_communication",
    "post", "post-weblog", "regulation", "report", "review", "review-book", "speech", "standard",
    "thesis", "treaty", "webpage",
]


class Name(Model):
    """A CSL name: family and given, or a literal (an institution)."""

    family: str | None = None
    """Family name."""
    given: str | None = None
    """Given names."""
    literal: str | None = None
    """A name not to be split (an institution)."""


class Date(Model):
    """A CSL date."""

    date_parts: tuple[tuple[int, ...], ...] = Field(alias="date-parts")
    """[[year, month, day]], month and day optional."""


class Reference(Model):
    """One bibliography entry (a subset of CSL-JSON's variables)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_:.#$%&+?<>~/-]*$")
    """Citation key, cited as @id."""
    type: CSL_TYPES
    """CSL item type."""
    title: str
    """Title of the work."""
    author: tuple[Name, ...] = ()
    editor: tuple[Name, ...] = ()
    issued: Date | None = None
    publisher: str | None = None
    publisher_place: str | None = Field(default=None, alias="publisher-place")
    container_title: str | None = Field(default=None, alias="container-title")
    collection_title: str | None = Field(default=None, alias="collection-title")
    number: str | int | None = None
    volume: str | int | None = None
    issue: str | int | None = None
    page: str | None = None
    authority: str | None = None
    genre: str | None = None
    URL: str | None = None
    DOI: str | None = None
    ISBN: str | None = None
    note: str | None = None


class Bibliography(Model):
    """``data/references.yaml``: the works cited, as CSL YAML."""

    references: tuple[Reference, ...]
    """The entries, cited from Markdown as [@id]."""

    @field_validator("references")
    @classmethod
    def _unique_ids(cls, refs):
        seen = set()
        for ref in refs:
            if ref.id in seen:
                raise ValueError(f"duplicate reference id '{ref.id}'")
            seen.add(ref.id)
        return refs


#: The data files the package knows: file stem -> model. Only publication and contents are
#: required; the contributors file is the one publication.yaml names (``Contributors``);
#: any other file is the project's, described by its own JSON Schema (schemas.py).
SCHEMAS: dict[str, type[Model]] = {
    "publication": Publication,
    "contents": Contents,
    "references": Bibliography,
}
REQUIRED = ("publication", "contents")
