"""``invoke serve``: a live preview of the HTML edition while the editor writes.

A standard-library HTTP server (bound to 127.0.0.1 only) serves ``build/html``
from a thread; another thread polls ``manuscript/``, ``data/`` and
``templates/`` and rebuilds the HTML edition when a file changes (an
incremental build: only the edited chapter goes through pandoc again). Each
served page gets one small script, added as it is sent and never written to
the edition, that polls ``/__folio/state`` and reloads the page after each
rebuild. A broken edit does not stop the server: its located errors are
printed in the terminal and shown at the top of every page until it is fixed.
The PDF and EPUB are rebuilt on request (a POST to ``/__rebuild`` carrying the
run's token, from the bar on every served page), or on every change with ``--all``.

Closed to other sites: a request whose ``Host`` is not ``127.0.0.1:PORT`` or
``localhost:PORT`` is refused (a web page that rebinds its own name to 127.0.0.1
cannot read the unpublished manuscript through the preview), and a rebuild is
only a POST with the token of this run, which a page of another site cannot read
(an ``<img src=/__rebuild>`` on any site no longer rebuilds every edition).
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlsplit

from folio.errors import BuildError
from folio.pipeline.build import EDITIONS, build
from folio.pipeline.workers import Pool

#: Folders whose files the preview watches.
WATCHED = ("manuscript", "data", "templates")
HOST = "127.0.0.1"
STATE = "/__folio/state"
SCRIPT = "/__folio/reload.js"
REBUILD = "/__rebuild"
#: Reloads the page when the server's build count moves on (after a good or a broken edit).
RELOAD_JS = b"""(function () {
  var seen = null;
  function poll() {
    fetch("%s", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (seen === null) { seen = window.folioPreviewVersion = s.version; }
      else if (s.version !== seen) { location.reload(); return; }
      setTimeout(poll, 400);
    }).catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
""" % STATE.encode("ascii")
_BAR = ('<div id="folio-preview" style="position:fixed;bottom:0;right:0;z-index:9999;'
        'background:#fff;border:1px solid #888;padding:.2em .5em;font:12px sans-serif">'
        f'<form method="post" action="{REBUILD}" style="margin:0">preview · '
        '<input type="hidden" name="token" value="{token}">'
        '<button type="submit">rebuild PDF and EPUB</button></form></div>')
#: The largest request body read (the rebuild form's is under 100 bytes).
MAX_BODY = 4096
_ERROR = ('<pre id="folio-error" role="alert" style="position:relative;z-index:9999;margin:0;'
          'padding:1em;background:#fee;color:#900;border-bottom:3px solid #900;white-space:pre-wrap;'
          'font:14px monospace">The last edit did not build; this page is from the last good build.'
          '\n\n%s</pre>')


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every watched file: a change to either means the file changed."""
    found = {}
    for folder in WATCHED:
        for path in (root / folder).rglob("*"):
            try:
                if path.is_file():
                    stat = path.stat()
                    found[path.relative_to(root).as_posix()] = (stat.st_mtime_ns, stat.st_size)
            except OSError:  # removed while we looked: the next poll sees it
                continue
    return found


class Preview:
    """The state of a live preview: the last build's outcome, and a count of builds."""

    def __init__(self, root: Path | str, editions=("html",), log=print):
        self.root = Path(root).resolve()
        self.out = self.root / "build"
        self.editions = tuple(editions)
        self.log = log
        self.version = 0
        self.error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.token = secrets.token_urlsafe(24)
        """Proof that a rebuild request comes from a page this run served."""
        #: Lays out the PDFs of every rebuild: its server has loaded WeasyPrint once.
        self.pool = Pool()

    def rebuild(self, editions=None) -> None:
        """Build (by default the preview's editions), saying how far it is as ``invoke build``
        does (a book's PDF: chapters laid out, pages, time); record and print the outcome."""
        editions = tuple(editions or self.editions)
        with self._lock:
            try:
                outputs = build(self.root, editions, pool=self.pool, log=self.log)
            except BuildError as exc:
                self.error = str(exc)
                self.log(f"build failed:\n{exc}")
            else:
                self.error = None
                if outputs.rebuilt:
                    self.log(f"built {', '.join(outputs.rebuilt)} in {outputs.seconds:.1f} s")
                else:
                    self.log(f"up to date ({outputs.seconds:.1f} s)")
            self.version += 1

    def watch(self, interval: float = 0.3, seen: dict[str, tuple[int, int]] | None = None) -> None:
        """Poll the sources and rebuild after each change from ``seen`` (by default, the
        sources as they are now), until :meth:`stop`."""
        seen = snapshot(self.root) if seen is None else seen
        while not self._stop.wait(interval):
            now = snapshot(self.root)
            if now != seen:
                changed = sorted(k for k in now.keys() | seen.keys() if now.get(k) != seen.get(k))
                self.log(f"changed: {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}")
                seen = now
                self.rebuild()

    def start(self, port: int = 8000, interval: float = 0.3) -> ThreadingHTTPServer:
        """Build, then serve and watch from background threads; returns the running server."""
        self.pool.warm()  # from a thread: the first build does not wait for WeasyPrint's import
        # The sources as the first build reads them: an edit saved during that build, or
        # before the watching thread first looks, is a change it sees, not its baseline.
        seen = snapshot(self.root)
        self.rebuild()
        handler = partial(_Handler, self)
        self.server = ThreadingHTTPServer((HOST, port), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="folio-serve", daemon=True).start()
        threading.Thread(target=self.watch, args=(interval, seen), name="folio-watch", daemon=True).start()
        return self.server

    def stop(self) -> None:
        """Stop watching and serving."""
        self._stop.set()
        self.pool.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        """The address the preview is served at."""
        if self.server is None:
            raise RuntimeError("the preview is not serving: call start() first")
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"


def serve(project_dir: Path | str = ".", port: int = 8000, all_editions: bool = False,
          log=print) -> None:
    """Run the live preview until interrupted (Ctrl-C)."""
    preview = Preview(project_dir, EDITIONS if all_editions else ("html",), log)
    try:
        preview.start(port)  # Ctrl-C may come during the first build: stop cleanly then too
        log(f"serving {preview.out / 'html'} at {preview.url} (Ctrl-C to stop)")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        log("stopped")
    except OSError as exc:  # the port is taken, say
        log(f"cannot serve on {HOST}:{port}: {exc.strerror}")
        raise SystemExit(1) from None
    finally:
        preview.stop()


class _Handler(SimpleHTTPRequestHandler):
    """Serves build/html (and the PDF and EPUB beside it), adding the reload script to pages."""

    def __init__(self, preview: Preview, *args, **kwargs):
        self.preview = preview
        super().__init__(*args, directory=str(preview.out / "html"), **kwargs)

    def _from_here(self) -> bool:
        """Whether the request names this server as its host; else answer 403 (a page of
        another site that rebinds its name to 127.0.0.1 sends its own name)."""
        port = cast(ThreadingHTTPServer, self.server).server_port
        if self.headers.get("Host", "").strip().lower() in (f"{HOST}:{port}", f"localhost:{port}"):
            return True
        self._send(b"folio preview: this server answers only http://127.0.0.1:%d/\n" % port,
                   "text/plain; charset=utf-8", HTTPStatus.FORBIDDEN)
        return False

    def do_HEAD(self):
        if self._from_here():
            super().do_HEAD()

    def do_POST(self):
        """A rebuild of every edition, from the bar's form: the run's token or nothing."""
        if not self._from_here():
            return None
        if urlsplit(self.path).path != REBUILD:
            return self._send(b"not found\n", "text/plain", HTTPStatus.NOT_FOUND)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return self._send(b"bad request\n", "text/plain", HTTPStatus.BAD_REQUEST)
        form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
        if not secrets.compare_digest(form.get("token", [""])[0], self.preview.token):
            return self._send(b"folio preview: a rebuild needs the token of this run\n",
                              "text/plain; charset=utf-8", HTTPStatus.FORBIDDEN)
        self.preview.rebuild(EDITIONS)
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    def do_GET(self):
        if not self._from_here():
            return None
        path = urlsplit(self.path).path
        if path == STATE:
            body = {"version": self.preview.version, "error": self.preview.error}
            return self._send(json.dumps(body).encode("utf-8"), "application/json")
        if path == SCRIPT:
            return self._send(RELOAD_JS, "text/javascript")
        if path == REBUILD:  # a GET any site's <img> can send: never a rebuild
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "POST")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        file = Path(self.translate_path(path))
        if path.endswith("/"):
            file = file / "index.html"
        beside = self.preview.out / Path(path).name  # "../x.pdf" from a page: the editions
        if not file.is_file() and "/" not in path.strip("/") and beside.suffix in (".pdf", ".epub") \
                and beside.is_file():
            return self._send(beside.read_bytes(), self.guess_type(beside.name))
        if file.suffix == ".html" and file.is_file():
            return self._send(self._page(file.read_bytes()), "text/html; charset=utf-8")
        if not file.exists() and self.preview.error:
            return self._send(self._page(b"<!DOCTYPE html><title>Build failed</title><body></body>"),
                              "text/html; charset=utf-8", HTTPStatus.INTERNAL_SERVER_ERROR)
        return super().do_GET()

    def _page(self, page: bytes) -> bytes:
        """A page as served: the reload script and bar, and the last build's error if any."""
        extra = _BAR.replace("{token}", self.preview.token)
        if self.preview.error:
            extra = _ERROR % html.escape(self.preview.error) + extra
        extra += f'<script src="{SCRIPT}"></script>'
        text = page.decode("utf-8")
        at = text.find(">", text.find("<body")) + 1 if "<body" in text else len(text)
        return (text[:at] + extra + text[at:]).encode("utf-8")

    def _send(self, body: bytes, kind: str, status=HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass  # the terminal shows builds and their errors, not every request
