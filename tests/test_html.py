"""The HTML edition: one page per section, an index, and no broken link anywhere."""

from __future__ import annotations

from pathlib import Path

from editions import is_external
from folio.editions import fallback


def test_one_page_per_section_plus_index(report):
    expected = {f"{s.id}.html" for s in report.sections} | {"index.html", "404.html"}
    assert set(report.html.pages) == expected


def test_every_page_declares_its_language_and_stylesheets(report):
    for name, page in report.html.pages.items():
        assert page.get("lang") == report.pub["language"], name
        sheets = page.xpath("//head/link[@rel='stylesheet']/@href")
        assert "screen.css" in sheets, name
        for href in sheets:
            assert (report.html.folder / href).is_file(), (name, href)


def test_page_titles(report):
    for section in report.sections:
        title = report.html.pages[f"{section.id}.html"].findtext(".//title")
        assert title == f"{section.title} · {report.pub['title']}"


def test_prev_and_next_follow_the_reading_order(report):
    pages = report.html.pages
    order = [f"{s.id}.html" for s in report.sections]
    assert pages["index.html"].xpath("//main//a[@rel='next']/@href") == [order[0]]
    for i, name in enumerate(order):
        prev = pages[name].xpath("//a[@rel='prev']/@href")
        next_ = pages[name].xpath("//a[@rel='next']/@href")
        assert prev == [order[i - 1] if i else "index.html"], name
        assert next_ == ([order[i + 1]] if i + 1 < len(order) else []), name


def test_every_relative_link_resolves(report):
    html = report.html
    broken = []
    for name, page in html.pages.items():
        for href in page.xpath("//a/@href | //link/@href | //img/@src"):
            if is_external(href):
                continue
            path, _, fragment = href.partition("#")
            target = (html.folder / path).resolve() if path else html.folder / name
            if not target.is_file():
                broken.append(f"{name}: {href}")
            elif fragment and fragment not in html.ids(target.name):
                broken.append(f"{name}: {href} (no such id)")
    assert broken == []


def test_index_offers_the_pdf_and_epub_inside_the_site(report):
    index = report.html.pages["index.html"]
    slug = report.pub["slug"]
    downloads = index.xpath("//main//a[@download]/@href")
    assert downloads == [f"downloads/{slug}.pdf", f"downloads/{slug}.epub"]
    for href, edition in zip(downloads, (report.pdf.path, report.epub.path), strict=True):
        # The copies are the editions themselves, byte for byte.
        assert (report.html.folder / href).read_bytes() == edition.read_bytes()


def test_index_lists_the_contents(report):
    index = report.html.pages["index.html"]
    listed = index.xpath("//nav[contains(@class, 'toc')]/ol/li/a")
    expected = [s for s in report.sections if s.toc]
    assert [(a.text, a.get("href")) for a in listed] == [(s.title, f"{s.id}.html") for s in expected]


def test_fonts_are_woff2_subsets_and_stylesheet_is_copied(report):
    folder = report.html.folder
    css = (folder / "fonts/fonts.css").read_text("utf-8")
    fonts = sorted((folder / "fonts").rglob("*.woff2"))
    assert fonts and not list((folder / "fonts").rglob("*.otf"))
    for path in fonts:
        assert path.read_bytes()[:4] == b"wOF2"
        assert path.relative_to(folder / "fonts").as_posix() in css
        # A fallback (the footnotes' back-link ↩, which the bundle lacks) is cut from a Noto font.
        original = next((report.root / "templates/fonts").rglob(path.stem + ".otf"), None) or \
            next(fallback.FOLDER.glob(path.stem.rsplit("-", 1)[0] + "*"))
        assert path.stat().st_size < original.stat().st_size / 5
    assert (folder / "screen.css").read_bytes() == \
        (report.root / "templates/css/screen.css").read_bytes()


def test_cross_reference_points_at_the_other_chapter_file(tiny):
    page = tiny.html.pages["chapter2.html"]
    hrefs = page.xpath("//main//a[.='the survey method']/@href")
    assert hrefs == ["chapter1.html#survey-method"]
    assert "survey-method" in tiny.html.ids("chapter1.html")


def test_images_are_copied_with_the_site(tiny):
    src = tiny.html.pages["chapter2.html"].xpath("//main//img/@src")
    assert src == ["manuscript/img/red-square.png"]
    assert (tiny.html.folder / src[0]).read_bytes() == \
        (tiny.root / "manuscript/img/red-square.png").read_bytes()


def test_footnote_ids_are_unique_to_their_chapter(tiny):
    # pandoc numbers notes fn1, fn2... in every chapter; two chapters must not share ids.
    ids1, ids2 = tiny.html.ids("chapter1.html"), tiny.html.ids("chapter2.html")
    notes1 = {i for i in ids1 if "fn" in i}
    notes2 = {i for i in ids2 if "fn" in i}
    assert notes1 and notes2 and not notes1 & notes2


def test_nothing_is_written_beside_the_site(report):
    assert sorted(p.name for p in report.out.iterdir()) == \
        sorted([".cache", "html", "manifest.json", f"{report.pub['slug']}.pdf",
                f"{report.pub['slug']}-print.pdf", f"{report.pub['slug']}-print-cover.pdf",
                f"{report.pub['slug']}.epub"])
    assert not list(Path(report.html.folder).rglob("*.tmp"))


def _page(title: str, words: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head>'
            f"<body><main><h1>{title}</h1><p>{words}</p></main></body></html>").encode()


def test_the_search_index_does_not_depend_on_the_order_of_the_pages():
    # Given a folder, Pagefind indexed the pages in the order the file system listed them
    # (tmpfs: newest first), so the same site gave another index on another machine.
    from folio.editions.search import search_bundle

    pages = {f"{name}.html": _page(name.title(), f"{name} words about {name}")
             for name in ("alpha", "beta", "gamma", "delta")}
    forward = search_bundle(pages, "en-CA")
    assert forward == search_bundle(dict(reversed(pages.items())), "en-CA")
    assert any(name.startswith("pagefind/fragment/") for name in forward)
    assert "pagefind/pagefind.js" in forward
    assert not [name for name in forward if "playground" in name or "modular-ui" in name]


def test_a_failing_pagefind_is_one_located_problem(tmp_path, monkeypatch):
    import pagefind_bin
    import pytest

    from folio.editions.search import search_bundle
    from folio.errors import BuildError

    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'it broke' >&2\nexit 3\n", "utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(pagefind_bin, "get_executable", lambda: fake)
    with pytest.raises(BuildError) as caught:
        search_bundle({"a.html": _page("A", "words")}, "en")
    assert str(caught.value) == "templates/html: search index: Pagefind failed: it broke"
