"""A crawl of the website as deployed: every link answers, served from the site's own folder.

The HTML edition is served twice by a plain static server (Python's
``http.server`` on 127.0.0.1): from ``build/html/`` itself, and from the release's
``-html.zip`` unpacked into a scratch folder. From ``index.html`` every page,
stylesheet, script, image, download and font the site links to is requested;
anything but ``200 OK`` is a finding. (``links`` checks files and fragments on
disk; this checks what a reader's browser would get from a server.)
"""

from __future__ import annotations

import functools
import http.server
import io
import re
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import html

from .model import Editions, Finding, Result, Tools

NAME = "Website crawl"
#: Attributes that make a browser fetch (or a reader follow) another file.
_LINKS = "//a/@href | //link/@href | //script/@src | //img/@src | //source/@src"
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def run(editions: Editions, tools: Tools) -> Result:
    """Crawl ``build/html/`` served on its own, then the release zip unpacked elsewhere."""
    if failure := editions.missing(editions.html / "index.html"):
        return Result(NAME, failure=failure)
    from folio.commands.release import zip_tree

    findings, checked = crawl_folder(editions.html, "build/html")
    with tempfile.TemporaryDirectory(prefix="folio-crawl-") as scratch:
        with zipfile.ZipFile(_memory(zip_tree(editions.html, "site"))) as zf:
            zf.extractall(scratch)
        more, count = crawl_folder(Path(scratch, "site"), "release -html.zip")
    return Result(NAME, "http.server", tuple(findings + more), checked=checked + count)


def crawl_folder(folder: Path, label: str) -> tuple[list[Finding], int]:
    """Serve ``folder`` and request everything reachable from its index: (findings, URLs)."""
    with serve(folder) as base:
        return crawl(base + "index.html", label)


def crawl(start: str, label: str) -> tuple[list[Finding], int]:
    """Every same-site URL reachable from ``start``: (broken ones as findings, URLs checked)."""
    origin = urlsplit(start)[:2]
    queue, seen, findings = [(start, "")], {start}, []
    while queue:
        url, referrer = queue.pop(0)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body, kind = response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as exc:
            path = urlsplit(url).path
            findings.append(Finding(f"{label}{urlsplit(referrer).path or '/'}", "",
                                    f"http-{exc.code}", f"link to {path} answers {exc.code}"))
            continue
        if kind == "text/html":
            links = html.fromstring(body).xpath(_LINKS) if body.strip() else []
        elif kind == "text/css":
            links = _CSS_URL.findall(body.decode("utf-8", "replace"))
        else:
            links = []
        for link in links:
            target = urldefrag(urljoin(url, link.strip()))[0]
            if urlsplit(target)[:2] == origin and target not in seen:
                seen.add(target)
                queue.append((target, url))
    return findings, len(seen)


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A static server of ``folder`` on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="folio-crawl", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass


def _memory(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
