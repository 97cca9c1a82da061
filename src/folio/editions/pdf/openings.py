"""Which sections of a PDF document open on a new page, and on which side: a small cascade.

The chapter-by-chapter layout (``editions.pdf.chapters``) may cut the book only where a
page breaks anyway: before a section whose ``break-before`` forces a break (``page``,
``left``, ``right``, ``recto``, ``verso``), after one whose ``break-after`` does, or where
the named page (``page``) changes, which forces a break too (CSS Paged Media 3, 4.2). A
section that runs on (print.css's colophon, ``break-before: auto``) stays in the unit of the
section before it.

Only the section elements' own values matter, so the cascade runs, with cssselect2
(WeasyPrint's selector engine) and tinycss2 (its parser), over the document's skeleton:
the ``<section class="section">`` wrappers under ``<body>``, their contents left out. Rules
for the print medium count (WeasyPrint lays out for print), rules for other media not.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cssselect2
import tinycss2
from lxml import html as lxml_html

from folio.theme import THEME, resolve

#: The values of ``break-before`` / ``break-after`` that start a new page.
FORCED = frozenset({"page", "left", "right", "recto", "verso"})
_PROPERTIES = ("break-before", "break-after", "page", "page-break-before", "page-break-after")
#: The legacy properties' values, as CSS Fragmentation 3 maps them.
_LEGACY = {"always": "page", "left": "left", "right": "right", "auto": "auto", "avoid": "avoid"}


def section_breaks(document: str, root: Path) -> dict[str, str | None]:
    """For each section of ``document`` (by ``data-section``): the forced break before it
    (``page``, ``left``, ``right``…), or None where it runs on from the section before it.

    Stylesheets are the document's ``<style>`` elements and its ``<link rel=stylesheet>``
    files inside ``root`` (the project), in document order.
    """
    tree = lxml_html.document_fromstring(document)
    matcher = _matcher(tree, root, _PROPERTIES, None)
    body = tree.find("body")
    if body is None:
        return {}
    for element in list(body.iter()):
        if element is not body and element.getparent() is not body:
            continue
        if element is not body:
            for child in list(element):
                element.remove(child)
            element.text = None
    wrapper = cssselect2.ElementWrapper.from_html_root(tree)
    out: dict[str, str | None] = {}
    previous: dict[str, str] | None = None
    for item in wrapper.iter_subtree():
        if item.etree_element.getparent() is not body:
            continue
        values = _computed(matcher, item)
        name = item.etree_element.get("data-section")
        if name is not None and "section" in (item.etree_element.get("class") or "").split():
            before = _combined([previous["break-after"] if previous else "auto",
                                values["break-before"]])
            if before not in FORCED and previous is not None and previous["page"] != values["page"]:
                before = "page"
            out[name] = before if before in FORCED else None
        previous = values
    return out


#: A part of a reference's content: CSS text as it is, or the counter style of a page number.
Part = str | tuple[str]
#: The attribute that names each link to another unit (``chapters.units``).
REF = "data-folio-ref"


def page_references(document: str, root: Path) -> dict[str, tuple[tuple[str, tuple[Part, ...]], ...]]:
    """For each link of ``document`` marked :data:`REF`: the ``content`` its ``::before`` and
    ``::after`` get from the stylesheets, as (pseudo-element, parts), where each
    ``target-counter(…, page)`` is a part of its own (its counter style): the contents'
    leaders and numbers, a cross-reference's "on page N", to be printed with the number of
    a target in another unit (:func:`printed`). Links whose content prints no page number
    are left out."""
    tree = lxml_html.document_fromstring(document)
    out: dict[str, tuple[tuple[str, tuple[Part, ...]], ...]] = {}
    links = _wrappers(tree, tree.iterfind(f".//*[@{REF}]"))
    for pseudo in ("before", "after"):
        matcher = _matcher(tree, root, ("content",), pseudo)
        for item in links:
            ref = item.etree_element.get(REF)
            content = _computed(matcher, item, {"content": ""})["content"]
            parts: list[Part] = []
            counted = False
            for token in tinycss2.parse_component_value_list(content):
                if token.type == "function" and token.lower_name == "target-counter":
                    styles = [t.value for t in token.arguments if t.type == "ident"]
                    parts.append((styles[-1] if len(styles) > 1 else "decimal",))
                    counted = True
                else:
                    parts.append(tinycss2.serialize([token]))
            if counted:
                out[ref] = (*out.get(ref, ()), (pseudo, tuple(parts)))
    return out


def _wrappers(tree, elements) -> list[cssselect2.ElementWrapper]:
    """cssselect2's wrappers of ``elements``, each reached from the root down its ancestors
    (a unit's links and their ancestors, not its thousands of elements: ``iter_subtree``
    wraps them all)."""
    root = cssselect2.ElementWrapper.from_html_root(tree)
    known = {root.etree_element: root}

    def wrapper(element) -> cssselect2.ElementWrapper:
        if element not in known:
            for child in wrapper(element.getparent()).iter_children():
                known[child.etree_element] = child
        return known[element]

    return [wrapper(element) for element in elements]


def printed(parts: tuple[Part, ...], number: int) -> str:
    """The CSS ``content`` of ``parts`` with the page number ``number`` in each counter."""
    from folio.editions.pdf.document import roman

    text = []
    for part in parts:
        if isinstance(part, str):
            text.append(part)
            continue
        style = part[0]
        shown = roman(number) if style == "lower-roman" else roman(number).upper() \
            if style == "upper-roman" else str(number)
        text.append(f'"{shown}"')
    return "".join(text).strip()


def _matcher(tree, root: Path, properties: tuple[str, ...], pseudo: str | None):
    """A cssselect2 matcher of the document's rules that declare ``properties`` on ``pseudo``
    (None: the element itself)."""
    matcher = cssselect2.Matcher()
    order = 0
    for css in _stylesheets(tree, root):
        for selector, declarations in _rules(css, properties, pseudo):
            matcher.add_selector(selector, (order, declarations))
            order += 1
    return matcher


def _stylesheets(tree, root: Path) -> list[str]:
    """The document's ``<style>`` elements and its ``<link rel=stylesheet>`` files inside
    ``root`` (``templates/``: the project's, else the default theme's), in document order."""
    sheets = []
    for element in tree.iter("style", "link"):
        if element.tag == "style":
            sheets.append(element.text or "")
        elif "stylesheet" in (element.get("rel") or "").split() and element.get("href"):
            href = element.get("href")
            path = (root / href).resolve()
            if href.startswith("templates/"):  # the project's file, else the theme's
                path = resolve(root, href.removeprefix("templates/"))
            if (path.is_relative_to(root.resolve()) or path.is_relative_to(THEME)) and path.is_file():
                sheets.append(path.read_text(encoding="utf-8"))
    return sheets


def _combined(values: list[str]) -> str:
    """The break of several values at one break point, in tree order, as WeasyPrint combines
    them (``layout.block.block_level_page_break``): a side wins over ``page``, which wins over
    no forced break; among sides, the last."""
    result = "auto"
    for value in values:
        if value in ("left", "right", "recto", "verso") or (value == "page" and result not in FORCED) \
                or (value == "avoid" and result == "auto"):
            result = value
    return result


def _computed(matcher, element, initial: dict[str, str] | None = None) -> dict[str, str]:
    """The section's break and page values: the last declaration of the highest specificity
    wins, ``!important`` over any other."""
    values = dict(initial or {"break-before": "auto", "break-after": "auto", "page": "auto"})
    ranked: dict[str, tuple] = {}
    for specificity, _, _, (order, declarations) in matcher.match(element) or ():
        for name, value, important in declarations:
            if name.startswith("page-break-"):
                name, value = name[len("page-"):], _LEGACY.get(value, "auto")
            rank = (important, specificity, order)
            if name not in ranked or rank >= ranked[name]:
                ranked[name] = rank
                values[name] = value
    return values


@functools.lru_cache(maxsize=64)
def _rules(css: str, properties: tuple[str, ...], pseudo: str | None) -> tuple:
    """(compiled selector, [(property, value, important)]) of the rules that declare
    ``properties`` on ``pseudo`` elements. Remembered: every unit of a book links the same
    few stylesheets, twice (screen and print), and parsing them was most of the time
    :func:`chapters.units` took (2.5 of 4 CPU-s on a 40-chapter book)."""
    out: list = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content:
            media = tinycss2.serialize(rule.prelude).lower()
            if "print" in media or "all" in media:
                out += _rules(tinycss2.serialize(rule.content), properties, pseudo)
            continue
        if rule.type != "qualified-rule":
            continue
        declarations = [(d.lower_name, _value(d), d.important)
                        for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                                skip_whitespace=True)
                        if d.type == "declaration" and d.lower_name in properties]
        if not declarations:
            continue
        try:
            selectors = cssselect2.compile_selector_list(rule.prelude)
        except cssselect2.SelectorError:
            continue
        out += [(selector, declarations) for selector in selectors if selector.pseudo_element == pseudo]
    return tuple(out)


def _value(declaration) -> str:
    """A declaration's value as text (keywords lower-cased, but not a content's strings)."""
    text = tinycss2.serialize(declaration.value).strip()
    return text if declaration.lower_name == "content" else text.lower()
