"""Values from data/ in a chapter's text ({{ path }}), and one rule for smart punctuation."""

from __future__ import annotations

import pytest
from lxml import html

from folio.content.values import display_url, insert_values, resolve, smarten, smarten_tree
from folio.errors import BuildError
from folio.inputs.models import Publication

PUB = Publication.model_validate({
    "title": "A Report", "slug": "a-report", "language": "en", "publisher": "A Publisher",
    "date": "2024-01-02", "identifier": "urn:uuid:00000000-0000-4000-8000-000000000000",
    "sources": [{"id": "article", "title": "An Article", "kind": "article",
                 "creator": "its contributors", "license": "CC BY-SA"}]})
# A data file a project's JSON Schema validates (data/schemas/contacts.json) is plain mappings.
CONTACTS = {
    "booksellers": [{"id": "press", "name": "Queen's Press", "url": "https://www.press.example/"}],
    "links": {"donate": "https://example.org/Donate.html"},
    "people": {"intern": {"name": "A. Person", "email": "a.person@example.org"}}}
DATA = {"publication": PUB, "contacts": CONTACTS}


@pytest.mark.parametrize("path, value", [
    ("publication.title", "A Report"),
    ("publication.year", "2024"),  # the year of the date, typed once
    ("publication.full_title", "A Report"),  # a property of the model
    ("publication.sources.article.creator", "its contributors"),  # a list item by its id
    ("contacts.booksellers.press.name", "Queen's Press"),
    ("contacts.links.donate", "https://example.org/Donate.html"),  # a mapping's key
    ("contacts.people.intern.email", "a.person@example.org"),
])
def test_a_path_names_one_value(path, value):
    assert resolve(DATA, path) == value


@pytest.mark.parametrize("path, why", [
    ("team.title", "no data file 'team' (known: contacts, publication)"),
    ("publication.nope", "'publication' has no field 'nope'"),
    ("publication.model_dump", "'publication' has no field 'model_dump'"),
    ("publication.sources.other.title", "'publication.sources' has no item with id 'other'"),
    ("contacts.links.nope", "'contacts.links' has no key 'nope'"),
    ("publication.subtitle", "'publication.subtitle' is empty in data/publication.yaml"),
    ("contacts.people", "'contacts.people' is not a single value: name one of its fields"),
    ("publication.title.upper", "'publication.title' is a single value, not a group: it has no"
                                " 'upper'"),
])
def test_a_path_that_names_nothing_says_why(path, why):
    with pytest.raises(ValueError) as caught:
        resolve(DATA, path)
    assert str(caught.value) == why


def _insert(fragment: str, markdown: str = "") -> str:
    body = html.fragment_fromstring(fragment, create_parent="section")
    insert_values(body, DATA, "manuscript/x.md", markdown or fragment)
    return html.tostring(body, encoding="unicode")


def test_values_are_text_or_links_shown_by_one_rule():
    out = _insert("<p>Buy from {{ contacts.booksellers.press.name }} at "
                  "{{ contacts.booksellers.press.url }}, give at {{ contacts.links.donate }}, "
                  "write to {{contacts.people.intern.email}}.</p>")
    assert out == ('<section><p>Buy from Queen’s Press at '
                   '<a href="https://www.press.example/">www.press.example</a>, give at '
                   '<a href="https://example.org/Donate.html">example.org/Donate.html</a>, '
                   'write to <a href="mailto:a.person@example.org">a.person@example.org</a>.'
                   '</p></section>')


def test_values_in_tails_in_emphasis_and_not_in_code():
    out = _insert("<p><em>{{ publication.title }}</em>, {{ publication.year }}; "
                  "<code>{{ publication.title }}</code></p>")
    assert out == ("<section><p><em>A Report</em>, 2024; <code>{{ publication.title }}</code>"
                   "</p></section>")


def test_an_unknown_value_is_an_error_at_its_line():
    markdown = "# Title\n\nText.\n\nSee {{ publication.nope }}.\n"
    with pytest.raises(BuildError) as caught:
        _insert("<h1>Title</h1><p>Text.</p><p>See {{ publication.nope }}.</p>", markdown)
    assert str(caught.value) == ("manuscript/x.md:5: unknown value {{ publication.nope }}:"
                                 " 'publication' has no field 'nope'")


def test_display_url_drops_the_scheme_and_a_trailing_slash():
    assert display_url("https://www.mqup.ca/") == "www.mqup.ca"
    assert display_url("http://migs.concordia.ca/Donate.html") == "migs.concordia.ca/Donate.html"


@pytest.mark.parametrize("text, smart", [
    ("McGill-Queen's", "McGill-Queen’s"),
    ("the 'project' and \"its\" report", "the ‘project’ and “its” report"),
    ("(\"quoted\")", "(“quoted”)"),
    ("1994--1999 --- then...", "1994–1999 — then…"),
    ("already “curly” and ’90s", "already “curly” and ’90s"),
])
def test_smart_punctuation_as_pandoc_makes_it(text, smart):
    assert smarten(text) == smart


def test_smarten_tree_reads_quotes_across_elements_and_leaves_code():
    body = html.fragment_fromstring('<p>"<em>Title</em>" and <code>"x"</code> it\'s</p>',
                                    create_parent="section")
    smarten_tree(body)
    assert html.tostring(body, encoding="unicode") == (
        '<section><p>“<em>Title</em>” and <code>"x"</code> it’s</p></section>')
