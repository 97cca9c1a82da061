"""Full-text search for the HTML edition: a Pagefind index, made by the pinned Pagefind binary.

Pagefind indexes the pages the HTML stage made (only their ``<main>``), and
returns its bundle (index shards, the WebAssembly search, the UI script and
stylesheet) as files, which join the site under ``pagefind/``. Search then
runs in the reader's browser with no server-side code and no network beyond
the site itself; browsers refuse WebAssembly from ``file://``, so the site
must be served (any static server, ``python3 -m http.server -d build/html``).

The binary (from the ``pagefind_bin`` wheel, pinned in the lock file, run by
its path in the wheel: never one that ``PAGEFIND_BINARY_PATH`` or ``PATH``
names, which ``pagefind.service.get_executable`` would prefer) runs as a
service (``pagefind --service``, the protocol of Pagefind's own Python and
Node APIs: base64 JSON messages ended by commas), given the pages in memory one
by one in the order of their paths, its bundle returned in memory too. Given a
folder (``--site``), it indexed the pages in the order the file system listed
them: the order of their creation on tmpfs, of a hash seeded per file system on
ext4, so the same pages gave another search index on another machine. One
request at a time, synchronously: about 60 ms for this report, where the
Python API answers one request per 100 ms poll (1.4 s for 14 pages).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import threading
from typing import NoReturn

from folio.errors import BuildError

#: Where the bundle goes inside the HTML edition.
BUNDLE = "pagefind"
#: Parts of the bundle the site does not load (other UIs, the playground): left out.
UNUSED = ("playground/", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")
#: Parts of each page that are not reading text.
EXCLUDE = (".pager", ".visually-hidden")


#: How long the service may take for a whole site before the build gives up on it.
TIMEOUT = 120


def search_bundle(pages: dict[str, bytes], language: str) -> dict[str, bytes]:
    """The Pagefind bundle for the HTML pages given (relative path -> bytes), under pagefind/:
    the same bytes whatever the order of ``pages``."""
    try:
        from pagefind_bin import get_executable

        binary = get_executable()
    except (ImportError, FileNotFoundError):
        raise BuildError("search index: the Pagefind binary is missing (run scripts/setup)",
                         "pyproject.toml") from None
    try:
        with _Service(str(binary)) as service:
            index = service.send({"type": "NewIndex", "config": {
                "root_selector": "main", "exclude_selectors": list(EXCLUDE),
                "force_language": language.split("-")[0], "keep_index_url": True}})["index_id"]
            for rel in sorted(rel for rel in pages if rel.endswith(".html")):
                service.send({"type": "AddFile", "index_id": index, "file_path": None,
                              "url": f"/{rel}", "file_contents": pages[rel].decode("utf-8")})
            files = service.send({"type": "GetFiles", "index_id": index})["files"]
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
        raise BuildError(f"search index: Pagefind failed: {exc}", "templates/html") from None
    return {f"{BUNDLE}/{file['path']}": base64.b64decode(file["content"])
            for file in sorted(files, key=lambda file: file["path"])
            if not file["path"].startswith(UNUSED)}


class _Service:
    """``pagefind --service``, one request at a time: each sent once the last is answered, so
    that pages are indexed in the order they are added."""

    def __init__(self, binary: str):
        self._proc = subprocess.Popen([binary, "--service"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/",
                                      env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
        self._errors = bytearray()
        self._drain = threading.Thread(target=self._read_errors, name="folio-pagefind-stderr",
                                       daemon=True)
        self._drain.start()
        self._timer = threading.Timer(TIMEOUT, self._proc.kill)
        self._timer.daemon = True
        self._timer.start()
        self._sent = 0

    def _read_errors(self) -> None:
        assert self._proc.stderr is not None
        self._errors += self._proc.stderr.read()

    def send(self, payload: dict) -> dict:
        """Send one request, return its answer's payload; ValueError for an error answer."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._sent += 1
        message = {"message_id": self._sent, "payload": payload}
        try:
            self._proc.stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
            self._proc.stdin.flush()
        except BrokenPipeError:
            self._ended()
        answer = bytearray()
        while not answer.endswith(b","):
            chunk = os.read(self._proc.stdout.fileno(), 1 << 16)
            if not chunk:
                self._ended()
            answer += chunk
        reply = json.loads(base64.b64decode(bytes(answer[:-1])))
        result = reply["payload"]
        if result.get("type") == "Error" or reply.get("message_id") != self._sent:
            raise ValueError(result.get("message") or f"an answer out of turn: {reply}")
        return result

    def _ended(self) -> NoReturn:
        """The service ended before it answered: what it said on stderr, else its status."""
        status = self._proc.wait()
        self._drain.join(1)
        detail = self._errors.decode("utf-8", "replace").strip()
        raise ValueError(detail or f"it ended (exit status {status})")

    def __enter__(self) -> _Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        if self._proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # a service that ended early
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._drain.join(1)
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
