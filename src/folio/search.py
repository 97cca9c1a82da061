"""Full-text search for the HTML edition: a Pagefind index, built in memory with its Python API.

Pagefind indexes the pages the HTML stage made (only their ``<main>``), and
returns its bundle (index shards, the WebAssembly search, the UI script and
stylesheet) as files, which join the site under ``pagefind/``. Search then
runs in the reader's browser with no server-side code and no network beyond
the site itself; browsers refuse WebAssembly from ``file://``, so the site
must be served (any static server, ``python3 -m http.server -d build/html``).
"""

from __future__ import annotations

import asyncio

from pagefind.index import IndexConfig
from pagefind.service import PagefindService

from .errors import BuildError

#: Where the bundle goes inside the HTML edition.
BUNDLE = "pagefind"
#: Parts of the bundle the site does not load (other UIs, the playground): left out.
UNUSED = ("playground/", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")


def search_bundle(pages: dict[str, bytes], language: str) -> dict[str, bytes]:
    """The Pagefind bundle for the HTML pages given (relative path -> bytes), under pagefind/."""
    config = IndexConfig(root_selector="main", force_language=language.split("-")[0],
                         exclude_selectors=[".pager", ".visually-hidden"], keep_index_url=True)
    try:
        files = asyncio.run(_index(pages, config))
    except Exception as exc:  # the service is a subprocess: any failure of it is a build error
        raise BuildError(f"search index: Pagefind failed: {exc}", "templates/html") from None
    return {f"{BUNDLE}/{f['path']}": f["content"] for f in sorted(files, key=lambda f: f["path"])
            if not f["path"].startswith(UNUSED)}


async def _index(pages: dict[str, bytes], config: IndexConfig) -> list:
    # The service, not PagefindIndex's context manager: that one writes the bundle to disk on exit.
    async with PagefindService() as service:
        index = await service.create_index(config)
        # A fixed order: the index's bytes must not depend on the order of a dict's keys.
        for rel in sorted(pages):
            if rel.endswith(".html"):
                await index.add_html_file(content=pages[rel].decode("utf-8"), url=f"/{rel}")
        return await index.get_files()
