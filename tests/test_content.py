"""The same text reaches all three editions: data files, the manuscript, and Markdown features.

Expectations are read from the sources with plain PyYAML; texts are compared
squashed (see ``editions.squash``) so that PDF line breaks and hyphenation
do not matter.
"""

from __future__ import annotations

import re

import pytest

import folio
from editions import Built, markdown_text, squash

EDITIONS = ("html", "epub", "pdf")


@pytest.fixture(params=EDITIONS)
def edition(request) -> str:
    return request.param


def people(built: Built) -> list[str]:
    """Every name in team.yaml, committee.yaml and consultation.yaml."""
    names = [p["name"] for role in built.data("team")["roles"] for p in role["members"]]
    for stem in ("committee", "consultation"):
        names += [p["name"] for p in built.data(stem)["members"]]
    return names


def missing(built: Built, edition: str, phrases) -> list[str]:
    text = built.text(edition)
    return [p for p in phrases if squash(p) not in text]


def test_every_person_is_named(real, edition):
    assert missing(real, edition, people(real)) == []


def test_every_recommendation_is_printed(real, edition):
    recommendations = real.data("recommendations")["recommendations"]
    assert len(recommendations) >= 10
    assert missing(real, edition, recommendations) == []


def test_every_funder_is_thanked(real, edition):
    funders = real.data("funders")["funders"]
    assert missing(real, edition, [f["name"] for f in funders]) == []
    assert missing(real, edition, [f"{f['name']} of {f['place']}" for f in funders
                                   if f.get("place")]) == []


def test_executive_summary_is_complete(real, edition):
    md = (real.root / "manuscript/executive-summary.md").read_text("utf-8")
    paragraphs = [p for p in md.split("\n\n") if p.strip() and not p.startswith("#")]
    assert len(paragraphs) >= 3
    # Citations become "(Author Year)" text: compare the runs of text between them.
    runs = [run for p in paragraphs for run in re.split(r"\[@[^\]]*\]", p)
            if len(squash(run)) > 20]
    assert missing(real, edition, [markdown_text(run) for run in runs]) == []


def test_publication_metadata_is_printed(real, edition):
    pub = real.pub
    assert pub.get("rights") is None  # the sources give none: no edition may print one
    assert missing(real, edition, [pub["title"], pub["subtitle"], pub["edition"],
                                   str(pub["date"].year)]) == []


TINY_FEATURES = {
    "footnotes": ["Footnote alpha: the survey covered only the province of Québec.",
                  "Footnote bravo: scores were rounded to whole numbers.",
                  "Footnote charlie: the median score was 50."],
    "table": ["Ledger audit", "Check records", "Instruments of the survey"],
    "long table": ["Site 01", "Site 79", "Last site of the long table", "Gaspésie"],
    "block quote": ["The quoted passage says that political will is made, not found."],
    "definition list": ["Intervention threshold", "Signals that precede a crisis"],
    "code block": ["def frobnicate_widgets(count):", "return count * 42"],
    "figure caption": ["Figure 1: sites above the median, in red"],
    "citation": ["Smith (2020)", "(UNESCO 2019, 12)", "Counting Small Things"],
}


@pytest.mark.parametrize("feature", TINY_FEATURES)
def test_markdown_features_reach_every_edition(tiny, edition, feature):
    assert missing(tiny, edition, TINY_FEATURES[feature]) == []


@pytest.mark.parametrize("phrase", ["« Québec »", "“the tiny survey”", "‘curly’",
                                    "em dash — like this —"])
def test_typography_survives_exactly(tiny, edition, phrase):
    assert phrase in tiny.raw_text(edition)


def test_no_missing_optional_field_prints_none(tiny, edition):
    # The tiny report has no 'institution': the title page must not print "None".
    assert "None" not in tiny.raw_text(edition).split()
    assert "NoneMontreal" not in tiny.raw_text(edition)


def test_renamed_committee_member_changes_in_every_edition(real, copy_built):
    root = copy_built(real)
    committee = real.data("committee")["members"]
    elsewhere = "".join(p.read_text("utf-8") for folder in ("manuscript", "templates")
                        for p in (real.root / folder).rglob("*") if p.suffix in (".md", ".html"))
    old = next(p["name"] for p in committee if p["name"] not in elsewhere
               and people(real).count(p["name"]) == 1)
    new = "Zéphirine Quillfeather-Nakamura"
    path = root / "data/committee.yaml"
    text = path.read_text("utf-8")
    assert text.count(f"name: {old}\n") == 1
    path.write_text(text.replace(f"name: {old}\n", f"name: {new}\n"), "utf-8")
    folio.build(root)
    rebuilt = Built(root)
    for edition in EDITIONS:
        assert squash(old) not in rebuilt.text(edition), edition
        assert squash(new) in rebuilt.text(edition), edition
