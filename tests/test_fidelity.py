"""Every edition says what the sources say, and only that, with the editor's apparatus marked.

``tests/fidelity.py`` cuts ``sources/report.txt`` and ``sources/article.txt`` into sentences
and names and accounts for every word of each edition with them and with
``sources/apparatus.yaml``. These tests run it on the real report, and on copies of it with an
invented sentence, and with a word of a quotation changed, to show that it fails then.
"""

from __future__ import annotations

import re

import pytest
import yaml
from fidelity import (
    SOURCES,
    apparatus,
    edition_text,
    normalise,
    problems,
    source_units,
    unused,
    used_units,
)

import folio

EDITIONS = ("html", "epub", "pdf", "print")


@pytest.fixture(params=EDITIONS)
def edition(request) -> str:
    return request.param


def _text(built, edition: str) -> str:
    return edition_text(built.out, built.pub["slug"], edition)


def test_the_sources_are_cut_into_sentences_and_names():
    units = source_units()
    texts = {u.text for u in units}
    # A sentence with an abbreviation inside, a team line's role and names, a tab-separated
    # name, a caps heading, a recommendation (no full stop), an article heading.
    assert ("The Will to Intervene (W2I) Project is a research initiative created by Lieut. "
            "General (retired) Roméo Dallaire, Senior Fellow at the Montreal Institute for "
            "Genocide and Human Rights Studies (MIGS), and Dr. Frank Chalk, MIGS Director, that "
            "aims to operationalize the principles of the responsibility to protect within "
            "national governments.") in texts
    assert {"CO-DIRECTORS", "Roméo Dallaire and Frank Chalk", "Juan E. Méndez", "WHO WE ARE",
            "The Government of Canada establish a Canadian Prevention Corps", "New studies",
            "Tel: 514 848-2424 ext. 5729 and 2404"} <= texts
    # 54 sentences of the report (one joined across its page break) and 34 of the article.
    assert len([u for u in units if u.kind == "sentence"]) == 88
    assert len(units) == 158


def test_each_decision_of_the_apparatus_is_about_the_sources():
    """What the edition leaves out is a source unit; each edit changes words a source has,
    and the credit in data/publication.yaml names the change."""
    texts = {u.text for u in source_units()}
    assert unused() <= texts
    raw = normalise((SOURCES / "report.txt").read_text("utf-8")
                    + (SOURCES / "article.txt").read_text("utf-8"))
    pub = yaml.safe_load((SOURCES.parent / "data/publication.yaml").read_text("utf-8"))
    changes = normalise(" ".join(c for s in pub["sources"] for c in s["changes"]))
    for edit in apparatus()["edits"]:
        assert normalise(edit["source"]) in raw
        new = set(normalise(edit["edition"]).split()) - set(normalise(edit["source"]).split())
        assert new and all(word in changes for word in new), edit


def test_every_source_sentence_and_name_is_in_every_edition(real, edition):
    text = normalise(_text(real, edition))
    absent = [u.text for u in used_units() if not u.pattern.search(text)]
    assert absent == []


def test_every_word_of_every_edition_is_from_a_source_or_the_apparatus(real, edition):
    assert problems(_text(real, edition)) == []


def test_punctuation_is_smart_in_text_from_data_and_from_markdown(real, edition):
    """One apostrophe: McGill-Queen's comes from data/contacts.yaml in the imprint and in the
    chapter, typed with a straight apostrophe, and prints curly like the Markdown's."""
    text = _text(real, edition)
    assert "McGill-Queen’s University Press" in text
    assert re.findall(r".{20}['\"].{20}", text) == []


INVENTED = "The report was also translated into French and Spanish in 2012."
QUOTED = "is to identify strategic and practical steps"
ALTERED = "is to identify tactical and practical steps"


def _broken(real, copy_built, name: str, old: str, new: str):
    """A copy of the real report with one change to manuscript/history.md, built again."""
    root = copy_built(real, name)
    path = root / "manuscript/history.md"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    folio.build(root)
    return root


def test_an_invented_sentence_fails_in_every_edition(real, copy_built):
    first = "The report was subsequently re-edited and published as a book in 2010."
    root = _broken(real, copy_built, "invented", first, f"{first} {INVENTED}")
    for edition in EDITIONS:
        found = problems(edition_text(root / "build", real.pub["slug"], edition))
        # Only the invented sentence is reported (a heading's word, "Report", is a name unit,
        # so the sentence may come in two runs).
        assert found and all(p.startswith("not in the sources or the apparatus:") for p in found)
        assert "was also translated into French and Spanish in 2012." in " ".join(found), edition


def test_a_changed_word_of_a_quotation_fails_in_every_edition(real, copy_built):
    root = _broken(real, copy_built, "altered", QUOTED, ALTERED)
    for edition in EDITIONS:
        found = problems(edition_text(root / "build", real.pub["slug"], edition))
        assert any(p.startswith("missing: The fundamental goal [of] the W2I report")
                   for p in found), (edition, found)
        assert any(p.startswith("not in the sources or the apparatus:") and "tactical" in p
                   for p in found), (edition, found)
