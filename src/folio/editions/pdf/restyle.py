"""The print edition drawn from the screen edition's layout: one WeasyPrint layout, two PDFs.

The two editions have the same pages (the trim, the type, the mirrored margins, every
section opening on a right-hand page: ``print.css``); they differ in what is painted on
them: the print's colours are CMYK, its links are plain text, its hidden headings are
invisible rather than transparent (``print-edition.css``), and its pages have a bleed.
None of that moves a line. So the screen's document is laid out once; its PDF is written;
then every laid-out box takes the paint of the print's cascade (the same elements, under
the print document's head and body class: :func:`print_cascade`) and the pages are
written again as the printer's PDF/X-4 (``layout.lay_out``).

WeasyPrint has no public way to re-style a rendered document, so this walks its boxes
(``Box.style``, the computed styles of ``weasyprint.css``), as ``layout.lay_out_unit``
wraps its page maker: WeasyPrint is pinned, and tests/test_book_pdf.py compares the
print PDF drawn so with the print document laid out on its own (the same pixels). What
WeasyPrint resolves at layout rather than at drawing is redone: the backgrounds
(``layout_backgrounds``), a font's underline metrics, and the collapsed table borders
(resolved as WeasyPrint builds a table: recoloured from the table parts' own borders). Any
RGB left is converted to the press's CMYK by the finishing (``colour.to_press_cmyk``).
:func:`check_paint_only` refuses a print stylesheet that would move a line, which a layout
shared so could not show.
"""

from __future__ import annotations

import copy
import functools

import tinycss2

#: The properties WeasyPrint paints with and never lays out by.
PAINT = frozenset({
    "color", "background_color", "border_top_color", "border_right_color", "border_bottom_color",
    "border_left_color", "outline_color", "column_rule_color", "text_decoration_line",
    "text_decoration_color", "text_decoration_style", "text_decoration_thickness",
    "visibility"})
#: What the page boxes take besides: their bleed and marks, which are outside the trim.
_PAGE = frozenset({"bleed_top", "bleed_right", "bleed_bottom", "bleed_left", "marks"})
#: CSS properties a print stylesheet may set for the edition's own look (and ``@page``'s
#: ``bleed``/``marks``, ``@color-profile``): the CSS names of :data:`PAINT`, with shorthands.
_ALLOWED = frozenset({p.replace("_", "-") for p in PAINT} | {
    "background", "border-color", "border-top-color", "text-decoration", "outline-color",
    "bleed", "marks", "src", "components"})


def print_cascade(html, print_document: str, font_config, counter_style):
    """The print edition's computed styles (a WeasyPrint ``style_for``) of the elements of
    ``html``, the laid-out document: its body and elements as they are, its ``<head>`` and
    ``<body>`` attributes those of ``print_document``; and the colour profiles it names."""
    import cssselect2
    import weasyprint
    from weasyprint.css import get_all_computed_styles

    # Only its head and body tag are read: parsing the whole of it again took a tenth of the
    # print edition's time.
    start = print_document.find("<body")
    end = print_document.find(">", start) + 1 if start >= 0 else len(print_document)
    other = weasyprint.HTML(string=print_document[:end] + "</body></html>", base_url=html.base_url,
                            url_fetcher=html.url_fetcher)
    root = copy.copy(html.etree_element)  # a new root over the same head and body elements
    head, body = _head(root), _body(root)
    other_head, other_body = _head(other.etree_element), _body(other.etree_element)
    new_head = copy.copy(other_head)
    new_body = copy.copy(body)  # its children, the laid-out elements, as they are
    new_body.attrib = dict(other_body.attrib)
    root[list(root).index(head)] = new_head
    root[list(root).index(body)] = new_body
    restyled = copy.copy(html)
    restyled.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
    restyled.etree_element = root
    profiles: dict = {}
    style_for = get_all_computed_styles(restyled, font_config=font_config,
                                        counter_style=counter_style, color_profiles=profiles)
    return restyled, style_for, profiles, {id(html.etree_element): root, id(body): new_body}


def restyle(pages, html, style_for, swapped: dict, url_fetcher) -> None:
    """Give every box of ``pages`` (WeasyPrint pages, laid out) the paint of ``style_for``
    (``html``'s cascade: :func:`print_cascade`), in place; ``swapped`` maps an element of
    the laid-out tree to the one that stands for it there."""
    from weasyprint.css import AnonymousStyle, ComputedStyle
    from weasyprint.formatting_structure import boxes
    from weasyprint.images import get_image_from_uri
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import set_page_type_computed_styles

    memo: dict[int, tuple[object, object]] = {}
    page_types: set = set()

    def mapped(style, owner, page_box: bool):
        found = memo.get(id(style))
        if found is not None:
            return found[1]
        new = style
        if isinstance(style, AnonymousStyle):
            new = AnonymousStyle(mapped(style.parent_style, owner, False))
            new.update({k: v for k, v in style.items() if k not in PAINT})
        elif isinstance(style, ComputedStyle):
            other = style_for(owner, style.pseudo_type)
            if other is not None:
                new = style.copy()
                for name in PAINT | (_PAGE if page_box else frozenset()):
                    new[name] = other[name]
        memo[id(style)] = (style, new)  # the old style kept alive: its id stays its own
        return new

    table_parts = (boxes.TableBox, boxes.TableRowGroupBox, boxes.TableRowBox, boxes.TableCellBox)
    borders: dict = {}  # a table part's border colour in the old paint -> in the new (None: both)
    tables: dict[int, object] = {}
    for page in pages:
        box = page._page_box
        if box.page_type not in page_types:
            set_page_type_computed_styles(box.page_type, html, style_for)
            page_types.add(box.page_type)
        for child in box.descendants(placeholders=True):
            if not isinstance(child, boxes.Box):
                continue
            on_page = child.element is None or isinstance(
                child, (boxes.PageBox, boxes.MarginBox, boxes.FootnoteAreaBox))
            owner = box.page_type if on_page else swapped.get(id(child.element), child.element)
            old = child.style
            child.style = mapped(old, owner, isinstance(child, boxes.PageBox))
            if isinstance(child, table_parts):
                _pair_borders(old, child.style, borders)
                if getattr(child, "collapsed_border_grid", None) is not None:
                    tables[id(child.collapsed_border_grid)] = child.collapsed_border_grid
            if isinstance(child, boxes.TextBox):
                _decoration_metrics(child)
        page.bleed = dict(box.bleed)  # the page box's, from its new style
        layout_backgrounds(box, functools.partial(get_image_from_uri, cache={}, url_fetcher=url_fetcher,
                                                  options={}))
    for grid in tables.values():
        _recolour(grid, borders)


def _pair_borders(old, new, borders: dict) -> None:
    """Note each border colour of a table part in the old paint and the new: WeasyPrint
    resolved the collapsed borders (a table's grid of the winning borders) as it built the
    table, with the old."""
    from weasyprint.draw.color import get_color

    for side in ("top", "right", "bottom", "left"):
        before = get_color(old, f"border_{side}_color")
        after = get_color(new, f"border_{side}_color")
        if borders.setdefault(before, after) != after:
            borders[before] = None  # one colour made two: left as it was (the finishing converts)


def _recolour(grid, borders: dict) -> None:
    """The collapsed borders of a table (vertical and horizontal grids) in the new paint."""
    for rows in grid:
        for row in rows:
            for x, (score, (style, width, colour)) in enumerate(row):
                new = borders.get(colour)
                if new is not None:
                    row[x] = (score, (style, width, new))


def _decoration_metrics(box) -> None:
    """Pango's underline metrics for text decorated only in the new paint (WeasyPrint reads
    them at layout, for the text that is decorated then)."""
    from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango
    from weasyprint.text.fonts import get_font_description

    layout = box.pango_layout
    if box.style["text_decoration_line"] == "none" or \
            getattr(layout, "underline_thickness", None) is not None:
        return
    context = ffi.gc(pango.pango_font_map_create_context(box.style.font_config.font_map),
                     gobject.g_object_unref)
    metrics = ffi.gc(pango.pango_context_get_metrics(
        context, get_font_description(box.style), pango.pango_language_get_default()),
        pango.pango_font_metrics_unref)
    layout.ascent = FROM_UNITS * pango.pango_font_metrics_get_ascent(metrics)
    layout.underline_position = FROM_UNITS * pango.pango_font_metrics_get_underline_position(metrics)
    layout.strikethrough_position = FROM_UNITS * pango.pango_font_metrics_get_strikethrough_position(metrics)
    layout.underline_thickness = FROM_UNITS * pango.pango_font_metrics_get_underline_thickness(metrics)
    layout.strikethrough_thickness = FROM_UNITS * pango.pango_font_metrics_get_strikethrough_thickness(metrics)


def _head(root):
    return next(e for e in root if isinstance(e.tag, str) and e.tag.rpartition("}")[2] == "head")


def _body(root):
    return next(e for e in root if isinstance(e.tag, str) and e.tag.rpartition("}")[2] == "body")


def check_paint_only(css: str, every_rule: bool) -> list[tuple[str, int]]:
    """The declarations of ``css`` that would move a line, as (property, line): of every
    rule (the print edition's own stylesheet), or of the rules whose selectors name one
    edition (``.edition-screen``, ``.edition-print``: print.css). The print edition is drawn
    over the screen edition's layout, so only its paint may differ."""
    found = []

    def declarations(rule, ours: bool):
        for item in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if item.type == "declaration" and ours and item.lower_name not in _ALLOWED:
                found.append((item.lower_name, item.source_line))
            elif item.type == "at-rule" and item.content is not None:
                declarations(item, ours)

    def walk(rules):
        for rule in rules:
            if rule.type == "at-rule" and rule.content is not None:
                if rule.lower_at_keyword in ("media", "supports", "layer"):
                    walk(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
                else:
                    declarations(rule, every_rule)
            elif rule.type == "qualified-rule":
                declarations(rule, every_rule or ".edition-" in tinycss2.serialize(rule.prelude))

    walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return found
