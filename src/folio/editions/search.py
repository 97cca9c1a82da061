"""Full-text search for the HTML edition: a Pagefind index, made by the pinned Pagefind binary.

Pagefind indexes the pages the HTML stage made (only their ``<main>``), and
returns its bundle (index shards, the WebAssembly search, the UI script and
stylesheet) as files, which join the site under ``pagefind/``. Search then
runs in the reader's browser with no server-side code and no network beyond
the site itself; browsers refuse WebAssembly from ``file://``, so the site
must be served (any static server, ``python3 -m http.server -d build/html``).

The binary (from the ``pagefind_bin`` wheel, pinned in the lock file, run by
its path in the wheel: never one that ``PAGEFIND_BINARY_PATH`` or ``PATH``
names, which ``pagefind.service.get_executable`` would prefer) runs once on a
scratch copy of the pages: about 40 ms for this report, where the
Python service API answers one request per 100 ms poll (1.4 s for 14 pages).
Its bundle is the same whatever order the files were written in (a test
writes them in two orders), and its file names are hashes of their content.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from folio.errors import BuildError

#: Where the bundle goes inside the HTML edition.
BUNDLE = "pagefind"
#: Parts of the bundle the site does not load (other UIs, the playground): left out.
UNUSED = ("playground/", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")
#: Parts of each page that are not reading text.
EXCLUDE = (".pager", ".visually-hidden")


def search_bundle(pages: dict[str, bytes], language: str) -> dict[str, bytes]:
    """The Pagefind bundle for the HTML pages given (relative path -> bytes), under pagefind/."""
    try:
        from pagefind_bin import get_executable

        binary = get_executable()
    except (ImportError, FileNotFoundError):
        raise BuildError("search index: the Pagefind binary is missing (run scripts/setup)",
                         "pyproject.toml") from None
    with tempfile.TemporaryDirectory(prefix="folio-search-") as scratch:
        site, bundle = Path(scratch, "site"), Path(scratch, "bundle")
        for rel, data in pages.items():  # in any order: the bundle does not depend on it
            if rel.endswith(".html"):
                target = site / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        command = [str(binary), "--site", str(site), "--output-path", str(bundle),
                   "--root-selector", "main", "--force-language", language.split("-")[0],
                   "--keep-index-url", "--quiet"]
        for selector in EXCLUDE:
            command += ["--exclude-selectors", selector]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=scratch,
                           env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or getattr(exc, "stdout", b"") or b""
            message = detail.decode("utf-8", "replace").strip() or str(exc)
            raise BuildError(f"search index: Pagefind failed: {message}", "templates/html") from None
        return {f"{BUNDLE}/{path.relative_to(bundle).as_posix()}": path.read_bytes()
                for path in sorted(bundle.rglob("*"))
                if path.is_file() and not path.relative_to(bundle).as_posix().startswith(UNUSED)}
