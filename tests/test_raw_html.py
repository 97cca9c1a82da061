"""Raw HTML of real books: obsolete elements mapped to valid ones or refused where they are
written, never passed through; ``invoke check`` checks the editions that were built."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import html

import folio
from folio.check import Tools, format_report, run_checks
from folio.commands.new import new_project
from helpers import REPO

CHAPTER = "manuscript/introduction.md"
OBSOLETE = """
<listing>
if a < b && *c*:
    go()
</listing>

<xmp>x <b>bold?</b></xmp>

<center>Centred *text*</center>

<tt>mono</tt>, <strike>gone</strike>, <acronym title="United Nations">UN</acronym>,
<a name="old-anchor">an old anchor</a>, [a link to it](#old-anchor).

<table><tr><td align="right" valign="top">1</td></tr></table>

```html
<listing>shown as code, not changed</listing>
```
"""


def project(tmp_path: Path, text: str) -> Path:
    root = new_project(tmp_path / "book", title="Raw", today=dt.date(2026, 1, 2))
    with (root / CHAPTER).open("a", encoding="utf-8") as f:
        f.write(text)
    return root


def test_obsolete_elements_become_their_valid_equivalents(tmp_path):
    root = project(tmp_path, OBSOLETE)
    folio.build(root, ["html"])
    page = html.parse(str(root / "build/html/introduction.html")).getroot()
    main = page.find(".//main")
    assert not main.xpath(".//listing|.//xmp|.//center|.//tt|.//strike|.//acronym|.//*[@align]"
                          "|.//*[@valign]|.//a[@name]")
    listing, xmp = main.xpath(".//pre[not(@class)]")
    # <listing>'s lines kept (it is not Markdown: no emphasis); <xmp>'s markup shown as text.
    assert listing.text_content() == "\nif a < b && *c*:\n    go()\n"
    assert xmp.text_content() == "x <b>bold?</b>" and not len(xmp)
    assert main.xpath(".//div[@style='text-align: center']/em")[0].text == "text"
    assert main.xpath(".//code")[0].text == "mono" and main.xpath(".//s")[0].text == "gone"
    assert main.xpath(".//abbr[@title='United Nations']")[0].text == "UN"
    assert main.xpath(".//a[@id='old-anchor']") and main.xpath(".//a[@href='#old-anchor']")
    assert main.xpath(".//td")[0].get("style") == "text-align: right; vertical-align: top"
    # Inside a code block the same text is the code's, untouched.
    assert "<listing>shown as code, not changed</listing>" in main.xpath(
        ".//pre[@class]")[0].text_content()


@pytest.mark.parametrize("raw, line, says", [
    ('<font color="red">red</font>', 2, "raw HTML <font> is not allowed: it is obsolete"),
    ("<big>big</big>", 2, "raw HTML <big> is not allowed: it is obsolete"),
    ("<my-widget>w</my-widget>", 2, "raw HTML <my-widget> is not allowed"),
    ("<plaintext>", 2, "raw HTML <plaintext> is not allowed: it is obsolete and swallows"),
    ('<table><tr><td align="javascript:x">1</td></tr></table>', 2,
     "raw HTML attribute 'align' is not allowed on <td>"),
])
def test_what_has_no_valid_equivalent_is_refused_at_its_line(tmp_path, raw, line, says):
    root = project(tmp_path, f"\n{raw}\n")
    start = (root / CHAPTER).read_text("utf-8").count("\n") - 2
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ["html"])
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (CHAPTER, start + line)
    assert problem.message.startswith(says), problem.message
    assert not (root / "build/html").exists()  # nothing written but the cache


def test_a_comment_holding_two_dashes_is_dropped(tmp_path):
    root = project(tmp_path, "\n<!-- an editor's note -- with dashes -->\n\nAfter the note.\n")
    folio.build(root, ["html"])
    text = (root / "build/html/introduction.html").read_text("utf-8")
    assert "After the note." in text and "editor" not in text and "<!--" not in text


TOOLS = Tools(REPO / "tools" / "node_modules")


def test_check_checks_the_editions_that_were_built(tmp_path):
    root = project(tmp_path, "")
    results = run_checks(root, TOOLS, only=None)
    assert [r.failure for r in results] == ["no edition is built (run invoke build)"]
    assert not results[0].ok
    folio.build(root, ["html"])
    results = run_checks(root, TOOLS)
    report = format_report(results)
    ran = {r.validator for r in results if not r.skipped}
    assert ran == {"Nu HTML checker", "axe-core", "Links and anchors", "Website crawl"}, report
    assert all(r.ok and (r.skipped or r.checked) for r in results), report
    assert "EPUBCheck: skipped (epub not built)" in report
    assert report.splitlines()[-1] == f"check: passed ({len(ran)} validators;" \
                                      f" {len(results) - len(ran)} skipped)"
    # Named with --only, a validator of an edition not built fails.
    [epubcheck] = run_checks(root, TOOLS, only=["epubcheck"])
    assert not epubcheck.ok and epubcheck.failure.startswith("not built: ")
