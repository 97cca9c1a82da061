"""epub.js (npm ``epubjs``, the engine of many web and app readers) in headless Chromium.

The EPUB is opened as a reader would open it: the package, the cover, the
navigation and the page list are read, then every spine item is displayed in a
rendition. Anything missing, and any console error or uncaught exception on the
way, is a finding.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

from .axe import CHROMIUM_ARGS
from .model import Editions, Finding, Result, Tools

NAME = "epub.js"
#: What the page does with the book; returns what it found.
READ_BOOK = """async (data) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const book = ePub(bytes.buffer);
  await book.ready;
  await book.loaded.pageList;
  const found = {
    cover: await book.coverUrl(),
    toc: book.navigation.toc.length,
    pages: book.pageList ? book.pageList.pageList.length : 0,
    spine: [],
  };
  const rendition = book.renderTo("reader", {width: 600, height: 800, flow: "paginated"});
  for (const item of book.spine.spineItems) {
    await rendition.display(item.href);
    const contents = rendition.getContents();
    const text = contents.length ? contents[0].document.body.textContent.trim().length : 0;
    const images = contents.length ? contents[0].document.images.length : 0;
    found.spine.push([item.href, text, images]);
  }
  return found;
}"""


def run(editions: Editions, tools: Tools) -> Result:
    """Open the EPUB edition in epub.js and display each of its documents."""
    if failure := editions.missing(editions.epub):
        return Result(NAME, failure=failure)
    scripts = [tools.node_modules / "jszip/dist/jszip.min.js",
               tools.node_modules / "epubjs/dist/epub.min.js"]
    if missing := [str(s) for s in scripts if not s.is_file()]:
        return Result(NAME, failure=f"not installed: {', '.join(missing)} (run scripts/setup)")
    if failure := tools.no_chromium():
        return Result(NAME, failure=failure)
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return Result(NAME, failure="the playwright package is not installed")
    version = json.loads((tools.node_modules / "epubjs/package.json").read_text("utf-8"))["version"]
    epub = editions.rel(editions.epub)
    errors: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="folio-epubjs-") as scratch, \
                sync_playwright() as p:
            shell = Path(scratch, "reader.html")
            shell.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                             '<title>reader</title></head><body><div id="reader"></div></body>'
                             '</html>', "utf-8")
            browser = p.chromium.launch(executable_path=tools.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(shell.as_uri())
            for script in scripts:
                page.add_script_tag(path=str(script))
            found = page.evaluate(READ_BOOK, base64.b64encode(editions.epub.read_bytes()).decode())
            browser.close()
    except Error as exc:
        return Result(NAME, version, failure=f"Chromium failed: {str(exc).splitlines()[0]}")
    findings = [Finding(epub, "", "console-error", text) for text in errors]
    findings += _missing(epub, found)
    return Result(NAME, version, tuple(findings), checked=len(found["spine"]))


def _missing(epub: str, found: dict) -> list[Finding]:
    """What a reader would miss: no cover, no contents, no page list, an empty document."""
    out = []
    if not found["cover"]:
        out.append(Finding(epub, "", "no-cover", "epub.js found no cover image"))
    if not found["toc"]:
        out.append(Finding(epub, "", "no-toc", "epub.js found no table of contents"))
    if not found["pages"]:
        out.append(Finding(epub, "", "no-page-list", "epub.js found no page list"))
    if not found["spine"]:
        out.append(Finding(epub, "", "no-spine", "epub.js displayed no document"))
    for href, text, images in found["spine"]:
        if not text and not images:
            out.append(Finding(f"{epub}/{href}", "", "empty-document",
                               "epub.js displayed nothing of this document"))
    return out
