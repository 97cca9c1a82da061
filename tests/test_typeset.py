"""editions/pdf/typeset.py: names and compounds are not hyphenated, acronyms with a digit get
lining figures, and the last two words of a paragraph are tied, a name's too."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pyphen
from lxml import html as lxml_html

from folio.editions.pdf.typeset import PROPER, guard_words, guarded_pyphen, tie_last_words

NAMES = ["Saskatchewan", "Mississauga", "Montreal\u2019s", "Parliamentarians"]
WORDS = ["extraordinarily", "responsibilities", "internationally", "humanitarian"]


def test_the_dictionary_offers_no_break_in_a_capitalised_word():
    dictionary = guarded_pyphen().Pyphen(lang="en_US")
    for name in NAMES:
        assert PROPER.fullmatch(name) and list(dictionary.iterate(name)) == [], name
    for word in WORDS:
        assert list(dictionary.iterate(word)) == list(pyphen.Pyphen(lang="en_US").iterate(word))
        assert list(dictionary.iterate(word))
    # Shorter than print.css's hyphenate-limit-chars (7): WeasyPrint does not try it at all.
    assert not PROPER.fullmatch("Canada")
    assert guarded_pyphen().language_fallback("en-US") == "en_US"


def text_of(document: str) -> str:
    """The text of ``document`` laid out by WeasyPrint as folio's layout module sets it up."""
    from folio.editions.pdf import layout  # installs the guarded dictionary

    data = layout.weasyprint.HTML(string=document).write_pdf()
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    finally:
        pdf.close()


def test_a_narrow_column_breaks_words_but_never_a_name():
    words = " ".join([*NAMES, *WORDS] * 6)
    text = text_of('<html lang="en-US"><body><p style="width: 5.5em; hyphens: auto;'
                   f' text-align: justify; font-size: 12pt">{words}</p></body></html>')
    breaks = re.findall(r"(\w+)\u2010\s*\n\s*(\w+)", text)
    assert breaks  # the lower-case words are hyphenated
    joined = {a + b for a, b in breaks}
    assert all(any(word.startswith(a + b) for word in WORDS) for a, b in breaks), joined
    assert all(text.count(name) == 6 for name in NAMES), text  # each name whole, on one line


def body_of(fragment: str):
    return lxml_html.fragment_fromstring(f"<div>{fragment}</div>")


def test_compounds_are_guarded_and_acronyms_get_lining_figures():
    body = body_of("<p>The non-governmental groups of W2I and R2P met in Vancouver.</p>")
    guard_words(body)
    spans = [(span.get("class"), span.text) for span in body.iter("span")]
    assert spans == [("nh", "non-governmental"), ("nh lnum", "W2I"), ("nh lnum", "R2P")]


def test_the_last_two_words_are_tied_even_when_the_last_is_a_name():
    body = body_of("<p>Support came from the Office for Advancement.</p><li>It met in Vancouver</li>")
    guard_words(body)
    tie_last_words(body)
    texts = [element.text_content() for element in body]
    assert texts == ["Support came from the Office for\u00a0Advancement.", "It met in\u00a0Vancouver"]
