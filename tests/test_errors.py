"""Bad input: one exact, located line per problem, exit code 1, and the last build untouched."""

from __future__ import annotations

import pytest

import folio
from helpers import Case, break_copy, outputs, run_folio

UNDEFINED_TEMPLATE = """<div class="title-page">
<h1 id="{{ section.id }}">{{ pub.title }}</h1>
<p>{{ pub.edition_statement }}</p>
</div>
"""

CASES = {
    "broken YAML": Case(
        "data/team.yaml", "  - title: Editor\n", "  - title: Editor\n   notes: [\n",
        "data/team.yaml:9: YAML syntax error: while parsing a block collection; expected "
        "<block end>, but found '<block mapping start>'"),
    "impossible date": Case(
        "data/publication.yaml", "date: 2024-03-15", "date: 2024-13-45",
        "data/publication.yaml:8: invalid value '2024-13-45': month must be in 1..12"),
    "unknown data value in a chapter": Case(
        "manuscript/chapter1.md", "The survey used three instruments",
        "The survey used {{ team.instruments }} instruments",
        "manuscript/chapter1.md:9: unknown value {{ team.instruments }}: 'team' has no field"
        " 'instruments'"),
    "a year that is not the date's": Case(
        "data/publication.yaml", "year: 2024", "year: 2023",
        "data/publication.yaml:1: year 2023 is not the year of date 2024-03-15: leave 'year'"
        " out"),
    "description from a section that is not there": Case(
        "data/publication.yaml", "description: The smallest report that builds, for the test suite.",
        "description_from: nowhere",
        "data/publication.yaml:11: description_from: no section 'nowhere' with a paragraph"),
    "a reused work credited to a section that is not there": Case(
        "data/publication.yaml", None,
        "sources:\n  - {title: T, kind: article, creator: its authors, license: CC BY,"
        " section: nowhere}\n",
        "data/publication.yaml:14: sources: 'T' names section 'nowhere', which the reading order"
        " does not have"),
    "unknown key": Case(
        "data/publication.yaml", "subtitle:", "subtitel:",
        "data/publication.yaml:2: unknown key 'subtitel' (did you mean 'subtitle'?)"),
    "unknown nested key": Case(
        "data/team.yaml", "    relator: edt", "    relater: edt",
        "data/team.yaml:9: in roles[1]: unknown key 'relater' (did you mean 'relator'?)"),
    "missing chapter": Case(
        "data/contents.yaml", "chapter2.md", "chapter3.md",
        "data/contents.yaml:6: chapter not found: manuscript/chapter3.md"),
    "undefined template variable": Case(
        "templates/sections/title-page.html", "", UNDEFINED_TEMPLATE,
        "templates/sections/title-page.html:3: undefined template variable: "
        "'Publication' has no attribute 'edition_statement'"),
    # chapter2.md links to #survey-method on line 3 before declaring it again on line 5.
    "duplicate explicit id": Case(
        "manuscript/chapter2.md", "{#what-we-found}", "{#survey-method}",
        "manuscript/chapter2.md:5: duplicate id 'survey-method' (also in manuscript/chapter1.md)"),
    "duplicate id in one chapter": Case(
        "manuscript/chapter1.md", "{#site-results}", "{#survey-method}",
        "manuscript/chapter1.md:35: duplicate id 'survey-method' (also on line 7)"),
    # chapter2.md gains its own automatic #survey-method: its link to chapter 1 is now ambiguous.
    "ambiguous link": Case(
        "manuscript/chapter2.md", "## What We Found {#what-we-found}", "## Survey Method",
        "manuscript/chapter2.md:3: ambiguous link '#survey-method': this section and"
        " manuscript/chapter1.md both have that heading; give the one you mean an explicit {#id}"),
    "link to a missing id": Case(
        "manuscript/chapter2.md", "(#survey-method)", "(#no-such-id)",
        "manuscript/chapter2.md:3: link to a missing id '#no-such-id'"),
    # chapter1.md cites @smith2020 on line 3: the unknown @smith is on the last line.
    "unknown citation": Case(
        "manuscript/chapter1.md", "closes the chapter.[^late]", "closes the chapter [@smith].[^late]",
        "manuscript/chapter1.md:124: unknown citation '@smith' (not in data/references.yaml)"),
    # Found only when the PDF is printed, after the HTML and EPUB are made: nothing is written.
    "file outside the project": Case(
        "templates/css/print.css", None, '\nbody { background: url("file:///etc/passwd"); }\n',
        "folio-theme/pdf/document.html: PDF: refused: file:///etc/passwd"
        " (only files inside the project are read)"),
}

EXTRA = {
    "unknown citation in chapter 2": Case(
        "manuscript/chapter2.md", "[@unesco2019, p. 12]", "[@unesco2091]",
        "manuscript/chapter2.md:3: unknown citation '@unesco2091' (not in data/references.yaml)"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_fails_with_one_located_line(tiny, copy_built, name):
    case = CASES[name]
    root = copy_built(tiny)
    before = outputs(root)
    break_copy(root, case)

    with pytest.raises(folio.BuildError) as caught:
        folio.build(root)
    assert str(caught.value) == case.message
    assert len(caught.value.problems) == 1

    proc = run_folio("--project", str(root))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    # Progress lines may come first; the problem is the last line, printed once.
    assert proc.stderr.endswith("\n" + case.message + "\n") or proc.stderr == case.message + "\n"
    assert proc.stderr.count(case.message) == 1
    assert outputs(root) == before


def test_every_problem_of_a_pass_is_reported_at_once(tiny, copy_built):
    root = copy_built(tiny)
    before = outputs(root)
    for name in ("unknown key", "unknown nested key", "missing chapter"):
        break_copy(root, CASES[name])
    proc = run_folio("--project", str(root), "--quiet")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        CASES["unknown key"].message, CASES["unknown nested key"].message,
        CASES["missing chapter"].message]
    assert outputs(root) == before


@pytest.mark.parametrize("names", [
    ("unknown citation", "unknown citation in chapter 2"),  # the conversion pass
    ("duplicate explicit id", "link to a missing id"),  # the pass over ids and links
])
def test_every_bad_chapter_is_reported_at_once(tiny, copy_built, names):
    root = copy_built(tiny)
    cases = [CASES.get(name) or EXTRA[name] for name in names]
    for case in cases:
        break_copy(root, case)
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root)
    assert str(caught.value).splitlines() == [case.message for case in cases]


def test_not_a_project(tmp_path):
    proc = run_folio("--project", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr == f"{tmp_path.resolve()}: not a report project: no data/ folder\n"


def test_unknown_edition_is_a_usage_error(tiny):
    proc = run_folio("--project", str(tiny.root), "mobi")
    assert proc.returncode == 2
    assert "unknown edition 'mobi' (choose from html, epub, pdf, print)" in proc.stderr
