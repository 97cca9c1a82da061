"""Values from ``data/`` in a chapter's text, and one rule for smart punctuation.

A chapter names a fact that lives in ``data/`` instead of typing it again::

    please write to {{ contacts.people.internships.name }}
    at {{ contacts.people.internships.email }}.

The name inside ``{{ }}`` is a dotted path: the data file's stem (``publication``,
``contacts``...), then field names; in a list, a step selects the item whose ``id`` is
that step (``contacts.booksellers.mqup.name``); in a mapping, its key. The value is
inserted after pandoc has converted the chapter, so it is never read as Markdown:
a web address becomes a link shown without its scheme (:func:`display_url`, the one
display rule the templates use too), an e-mail address a ``mailto:`` link, anything
else text. Inside code (`` `{{ x }}` ``) nothing is replaced. A path that names nothing
is an error at the chapter's line.

Text from data gets the same smart punctuation as the Markdown (pandoc's ``+smart``):
:func:`smarten` turns straight quotes, ``--``, ``---`` and ``...`` into their typographic
forms in the text of templates' output and of inserted values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from lxml import etree
from pydantic import BaseModel

from folio.errors import Problems

#: ``{{ path }}``: a data file's stem, then steps of letters, digits, ``_`` and ``-``.
VALUE = re.compile(r"\{\{\s*([A-Za-z][\w-]*(?:\.[\w-]+)+)\s*\}\}")
#: Elements whose text is shown as typed: no value is replaced, no quote smartened.
VERBATIM = frozenset({"code", "pre", "kbd", "samp", "script", "style", "var"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_WEB = re.compile(r"^https?://\S+$")


def display_url(url: str) -> str:
    """A web address as the report prints it: without ``https://`` (or ``http://``),
    without a trailing slash."""
    return re.sub(r"^https?://", "", url).rstrip("/")


def resolve(data: Mapping[str, object], path: str) -> str:
    """The value a dotted path names, as text; ValueError saying why when it names nothing."""
    first, *steps = path.split(".")
    if first not in data:
        raise ValueError(f"no data file '{first}' (known: {', '.join(sorted(data))})")
    value: object = data[first]
    walked = first
    for step in steps:
        value = _step(value, step, walked)
        walked += f".{step}"
    if value is None:
        raise ValueError(f"'{path}' is empty in data/{first}.yaml")
    if isinstance(value, (str, int)) or isinstance(value, dt.date):
        return str(value)
    raise ValueError(f"'{path}' is not a single value: name one of its fields")


def _step(value: object, step: str, walked: str) -> object:
    """One step of a path: a model's field, a mapping's key, or a list's item by ``id``."""
    if isinstance(value, BaseModel):
        model = type(value)
        if step not in model.model_fields and not isinstance(getattr(model, step, None), property):
            raise ValueError(f"'{walked}' has no field '{step}'")
        return getattr(value, step)
    if isinstance(value, Mapping):
        if step not in value:
            raise ValueError(f"'{walked}' has no key '{step}'")
        return value[step]
    if isinstance(value, (tuple, list)):
        found = [item for item in value if _item_id(item) == step]
        if not found:
            raise ValueError(f"'{walked}' has no item with id '{step}'")
        return found[0]
    raise ValueError(f"'{walked}' is a single value, not a group: it has no '{step}'")


def _item_id(item: object) -> object:
    """A list item's ``id``: a model's field, or the key of a mapping (the data a project's
    JSON Schema validates are plain mappings)."""
    if isinstance(item, Mapping):
        return item.get("id")
    return getattr(item, "id", None)


def insert_values(body: etree._Element, data: Mapping[str, object], origin: str,
                  markdown: str) -> None:
    """Replace every ``{{ path }}`` in the text of a converted chapter by its value."""
    problems = Problems()
    for el in list(body.iter()):
        if not isinstance(el.tag, str) or _verbatim(el):
            continue
        if el.text and "{{" in el.text:
            nodes = _split(el.text, data, origin, markdown, problems)
            el.text = nodes[0]
            for i, node in enumerate(nodes[1:]):
                el.insert(i, node)
        if el.tail and "{{" in el.tail and not _verbatim(el.getparent()):
            nodes = _split(el.tail, data, origin, markdown, problems)
            el.tail = nodes[0]
            parent, at = el.getparent(), el.getparent().index(el)
            for i, node in enumerate(nodes[1:], 1):
                parent.insert(at + i, node)
    problems.raise_if_any()


def _verbatim(el) -> bool:
    """Whether an element is, or lies inside, code."""
    while el is not None:
        if el.tag in VERBATIM:
            return True
        el = el.getparent()
    return False


def _split(text: str, data, origin: str, markdown: str, problems: Problems) -> list:
    """A text as [leading text, element or text..., ...], its values inserted. Elements
    (links) carry what follows them in their tail, as lxml wants."""
    out: list = [""]
    at = 0
    for match in VALUE.finditer(text):
        _append(out, text[at:match.start()])
        try:
            value = resolve(data, match.group(1))
        except ValueError as exc:
            problems.add(f"unknown value {{{{ {match.group(1)} }}}}: {exc}", origin,
                         _line(markdown, match.group(1)))
            value = match.group(0)
        _append(out, _node(value))
        at = match.end()
    _append(out, text[at:])
    return out


def _append(out: list, piece) -> None:
    if isinstance(piece, str):
        if isinstance(out[-1], str):
            out[-1] += piece
        else:
            out[-1].tail = (out[-1].tail or "") + piece
    else:
        out.append(piece)


def _node(value: str):
    """The text or the link a value is shown as."""
    if _WEB.match(value):
        a = etree.Element("a", href=value)
        a.text = display_url(value)
        return a
    if _EMAIL.match(value):
        a = etree.Element("a", href=f"mailto:{value}")
        a.text = value
        return a
    return smarten(value)


def _line(markdown: str, path: str) -> int | None:
    found = re.search(r"\{\{\s*" + re.escape(path) + r"\s*\}\}", markdown)
    return markdown.count("\n", 0, found.start()) + 1 if found else None


# --- smart punctuation ------------------------------------------------------

_OPENS_AFTER = set(" \t\n\u00a0([{\u2014\u2013/“‘") | {""}


def smarten(text: str, before: str = "") -> str:
    """Straight quotes, ``--``, ``---`` and ``...`` as pandoc's ``+smart`` makes them.

    ``before`` is the character that precedes the text (in an earlier node), which decides
    whether a quote at its start opens or closes.
    """
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    out = []
    prev = before[-1:] if before else ""
    for ch in text:
        if ch == "'":
            ch = "‘" if prev in _OPENS_AFTER else "’"
        elif ch == '"':
            ch = "“" if prev in _OPENS_AFTER else "”"
        out.append(ch)
        prev = ch
    return "".join(out)


def smarten_tree(body: etree._Element) -> None:
    """Smarten the text of every element of a tree but code, in reading order (see
    :func:`smarten`): the last character of each piece decides the next piece's quotes."""
    _smarten_el(body, "", False)


def _smarten_el(el, prev: str, verbatim: bool) -> str:
    """Smarten ``el``'s text and its children's (not its tail); return the last character."""
    verbatim = verbatim or el.tag in VERBATIM
    if el.text:
        el.text = el.text if verbatim else smarten(el.text, prev)
        prev = el.text[-1]
    for child in el:
        if isinstance(child.tag, str):
            prev = _smarten_el(child, prev, verbatim)
        if child.tail:
            child.tail = child.tail if verbatim else smarten(child.tail, prev)
            prev = child.tail[-1]
    return prev
