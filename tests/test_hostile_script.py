"""Hostile input, round two (issue 15): no live script in any edition, from any route.

The manuscript's raw HTML is held to an allowlist (folio/content/sanitize.py,
ALLOWED); citeproc's markup from data/references.yaml is held to the same one,
located in that file; an SVG image is refused if it holds a script, an event
handler or a reference to another file. Each case: the exact located line, exit
1, no traceback, the last good editions byte for byte.
"""

from __future__ import annotations

import pytest

from folio.content.images import SVG_RULE
from helpers import APPENDED, Case, assemble_tiny, assert_refused, break_copy, run_cli

TITLE = "    title: Counting Small Things\n"
URL = "    publisher: Example Press\n"

REFERENCES = {
    "script in a reference title": Case(
        "data/references.yaml", TITLE, '    title: "Counting <script>alert(1)</script> Things"\n',
        "data/references.yaml:4: raw HTML <script> is not allowed: it runs code"),
    "event handler in a reference title": Case(
        "data/references.yaml", TITLE,
        '    title: "Counting <img src=x onerror=alert(1)> Things"\n',
        "data/references.yaml:4: raw HTML attribute 'onerror' is not allowed: event handlers"
        " run code"),
    "iframe in a reference title": Case(
        "data/references.yaml", TITLE,
        '    title: "Counting <iframe src=https://example.com/></iframe> Things"\n',
        "data/references.yaml:4: raw HTML <iframe> is not allowed: it embeds another document"),
    "an element outside the allowlist in a title": Case(
        "data/references.yaml", TITLE, '    title: "Counting <menuitem>Small</menuitem> Things"\n',
        "data/references.yaml:4: raw HTML <menuitem> is not allowed: it is not among the"
        " elements a report may use (ALLOWED, in folio/content/sanitize.py)"),
    "javascript: reference URL": Case(
        "data/references.yaml", URL, URL + '    URL: "javascript:alert(1)"\n',
        "data/references.yaml:11: a 'javascript:' URL is not allowed: it runs code or hides"
        " a document"),
    "javascript: reference URL hidden by case and a tab": Case(
        "data/references.yaml", URL, URL + '    URL: "JaVa\\tScript:alert(1)"\n',
        "data/references.yaml:11: a 'javascript:' URL is not allowed: it runs code or hides"
        " a document"),
    "file: reference URL": Case(
        "data/references.yaml", URL, URL + '    URL: "file:///etc/passwd"\n',
        "data/references.yaml:11: a link to 'file:///etc/passwd' is not allowed: a file: URL"
        " reads outside the project"),
    "ftp: reference URL": Case(
        "data/references.yaml", URL, URL + '    URL: "ftp://example.org/x"\n',
        "data/references.yaml:11: link 'ftp://example.org/x': the scheme 'ftp:' is not"
        " allowed (use http, https, mailto, tel)"),
}


@pytest.mark.parametrize("name", REFERENCES)
def test_markup_from_the_references_is_held_to_the_manuscript_policy(tiny, copy_built, name):
    root = copy_built(tiny)
    break_copy(root, REFERENCES[name])
    assert_refused(root, [REFERENCES[name].message])


ALLOWLIST = {
    "an element no report uses": ("<menuitem>Hello</menuitem>",
                                  "raw HTML <menuitem> is not allowed: it is not among the"
                                  " elements a report may use (ALLOWED, in"
                                  " folio/content/sanitize.py)"),
    "a custom element": ("<x-widget>Hello</x-widget>",
                         "raw HTML <x-widget> is not allowed: it is not among the elements a"
                         " report may use (ALLOWED, in folio/content/sanitize.py)"),
    "an attribute outside the allowlist": ('<p contenteditable="true">Hello</p>',
                                           "raw HTML attribute 'contenteditable' is not allowed"
                                           " on <p>"),
    "a form attribute on a link": ('<a href="https://example.org" formaction="x">Hi</a>',
                                   "raw HTML attribute 'formaction' is not allowed: it loads a"
                                   " URL the build does not check"),
}


@pytest.mark.parametrize("name", ALLOWLIST)
def test_raw_html_outside_the_allowlist_is_refused(tiny, copy_built, name):
    root = copy_built(tiny)
    markup, message = ALLOWLIST[name]
    break_copy(root, Case("manuscript/chapter2.md", None, "\n" + markup + "\n", ""))
    assert_refused(root, [f"manuscript/chapter2.md:{APPENDED}: {message}"])


def test_inert_raw_html_of_real_books_is_fine(tmp_path):

    root = assemble_tiny(tmp_path / "report")
    break_copy(root, Case("manuscript/chapter2.md", None,
                          '\n<abbr title="United Nations">UN</abbr>, <i>sic</i>, <small>x</small>,'
                          ' <span data-note="1" aria-label="n">y</span>, <time datetime="2009">'
                          "2009</time>.\n", ""))
    proc = run_cli("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr
    assert '<abbr title="United Nations">UN</abbr>' in \
        (root / "build/html/chapter2.html").read_text("utf-8")


SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">{}<rect width="4" height="4"/></svg>'
SVGS = {
    "script": ("<script>alert(1)</script>", f"holds <script>: {SVG_RULE}"),
    "event handler": ('<g onload="alert(1)"/>', f"has an event handler 'onload': {SVG_RULE}"),
    "foreignObject": ("<foreignObject><p>x</p></foreignObject>",
                      f"holds <foreignobject>: {SVG_RULE}"),
    "link to another file": ('<image xmlns:xlink="http://www.w3.org/1999/xlink"'
                             ' xlink:href="file:///etc/passwd"/>',
                             f"refers to 'file:///etc/passwd': {SVG_RULE}"),
    "image on the network": ('<image href="https://example.com/x.png"/>',
                             f"refers to 'https://example.com/x.png': {SVG_RULE}"),
    "style loading a URL": ("<style>@import url(https://example.com/x.css);</style>",
                            f"has a style that loads a URL: {SVG_RULE}"),
    "fill from another file": ('<rect fill="url(https://example.com/a.svg#g)"/>',
                               f"refers to another file in 'fill': {SVG_RULE}"),
}


@pytest.mark.parametrize("name", SVGS)
def test_an_svg_image_with_script_or_references_is_refused(tiny, copy_built, name):
    root = copy_built(tiny)
    inner, reason = SVGS[name]
    (root / "manuscript/img/figure.svg").write_text(SVG.format(inner), "utf-8")
    break_copy(root, Case("manuscript/chapter2.md", "img/red-square.png", "img/figure.svg", ""))
    assert_refused(root, [f"manuscript/chapter2.md:7: image 'img/figure.svg' {reason}"])


def test_an_svg_with_entities_is_refused(tiny, copy_built):
    root = copy_built(tiny)
    (root / "manuscript/img/figure.svg").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        + SVG.format("<text>&x;</text>"), "utf-8")
    break_copy(root, Case("manuscript/chapter2.md", "img/red-square.png", "img/figure.svg", ""))
    assert_refused(root, [f"manuscript/chapter2.md:7: image 'img/figure.svg' declares XML"
                          f" entities: {SVG_RULE}"])


def test_a_plain_svg_with_internal_references_is_fine(tmp_path):

    root = assemble_tiny(tmp_path / "report")
    (root / "manuscript/img/figure.svg").write_text(SVG.format(
        '<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
        '<rect fill="url(#g)" width="1" height="1"/>'), "utf-8")
    break_copy(root, Case("manuscript/chapter2.md", "img/red-square.png", "img/figure.svg", ""))
    proc = run_cli("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr
    assert (root / "build/html/manuscript/img/figure.svg").is_file()
