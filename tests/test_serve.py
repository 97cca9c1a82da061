"""The live preview: over HTTP, and in headless Chromium, on a copy of the tiny report."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from folio.commands.serve import Preview
from helpers import CHROMIUM, CHROMIUM_ARGS, PYTHON, as_in_a_terminal, assemble_tiny, edit, outcome_line

#: Generous: the preview answers in about a second, but the machine may be busy.
PATIENCE = 60.0


def _serving(folder):
    """A preview of a fresh copy of the tiny report, serving once its first build is done."""
    root = assemble_tiny(folder / "report")
    said: list[str] = []
    running = Preview(root, log=said.append)
    running.start(port=0, interval=0.1)
    running.said = said
    return running


@pytest.fixture
def preview(tmp_path):
    """A preview of its own, for a test that edits the report or asks for a build."""
    running = _serving(tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One preview for the tests that only send it requests it must refuse or answer from
    the first build (each preview's first build is ~1 CPU-s): none edits or builds."""
    running = _serving(tmp_path_factory.mktemp("served"))
    yield running
    running.stop()


def get(preview: Preview, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(preview.url + path.lstrip("/"), timeout=PATIENCE) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def state(preview: Preview) -> dict:
    return json.loads(get(preview, "/__folio/state")[1])


def wait_for_build_after(preview: Preview, version: int) -> dict:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        now = state(preview)
        if now["version"] > version:
            return now
        time.sleep(0.05)
    raise AssertionError("no rebuild after the edit")


def test_binds_to_localhost_and_serves_the_html_edition_with_the_reload_script(served):
    assert served.server.server_address[0] == "127.0.0.1"
    status, page = get(served, "/chapter2.html")
    assert status == 200
    assert "Most sites scored above the median" in page
    assert '<script src="/__folio/reload.js"></script>' in page
    assert "location.reload" in get(served, "/__folio/reload.js")[1]
    # The script is added as pages are served, never written into the edition.
    on_disk = (served.root / "build/html/chapter2.html").read_text("utf-8")
    assert "__folio" not in on_disk
    assert not (served.root / "build/tiny-report.pdf").exists()


def test_an_edit_is_served_after_the_rebuild(preview):
    before = state(preview)["version"]
    edit(preview.root, "manuscript/chapter2.md", "Most sites", "Nearly all sites")
    assert wait_for_build_after(preview, before)["error"] is None
    assert "Nearly all sites scored" in get(preview, "/chapter2.html")[1]
    assert any(line.startswith("built html") for line in preview.said)


def test_an_edit_saved_during_the_first_build_is_built_too(tmp_path, monkeypatch):
    """The watcher's baseline is the sources the first build read, not what it finds once
    its thread starts: an edit saved in between is built, not taken for the baseline."""
    running = Preview(assemble_tiny(tmp_path / "report"), log=lambda message: None)
    first_build = running.rebuild

    def then_edit(*args, **kwargs):
        first_build(*args, **kwargs)
        if running.version == 1:
            edit(running.root, "manuscript/chapter2.md", "Most sites", "Nearly all sites")

    monkeypatch.setattr(running, "rebuild", then_edit)
    running.start(port=0, interval=0.1)
    try:
        assert wait_for_build_after(running, 1)["error"] is None
        assert "Nearly all sites scored" in get(running, "/chapter2.html")[1]
    finally:
        running.stop()


def test_a_broken_edit_shows_its_error_and_the_server_keeps_running(preview):
    before = state(preview)["version"]
    edit(preview.root, "manuscript/chapter2.md", "(#survey-method)", "(#nowhere)")
    error = wait_for_build_after(preview, before)["error"]
    message = "manuscript/chapter2.md:3: link to a missing id &#x27;#nowhere&#x27;"
    assert error == "manuscript/chapter2.md:3: link to a missing id '#nowhere'"
    status, page = get(preview, "/chapter2.html")
    assert status == 200 and 'id="folio-error"' in page and message in page
    assert any("link to a missing id '#nowhere'" in line for line in preview.said)

    version = state(preview)["version"]
    edit(preview.root, "manuscript/chapter2.md", "(#nowhere)", "(#survey-method)")
    assert wait_for_build_after(preview, version)["error"] is None
    assert 'id="folio-error"' not in get(preview, "/chapter2.html")[1]


def post(preview: Preview, path: str, body: str) -> tuple[int, str]:
    request = urllib.request.Request(preview.url + path.lstrip("/"), data=body.encode("ascii"),
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_pdf_and_epub_are_built_on_request(preview):
    pdf = preview.root / "build/tiny-report.pdf"
    assert not pdf.exists()
    page = get(preview, "/chapter2.html")[1]
    assert f'name="token" value="{preview.token}"' in page  # the bar's form carries it
    status, page = post(preview, "/__rebuild", f"token={preview.token}")  # then the contents
    assert status == 200 and "__folio/reload.js" in page
    assert pdf.is_file() and (preview.root / "build/tiny-report.epub").is_file()
    status, body = get(preview, "/tiny-report.pdf")  # the pages' "../tiny-report.pdf" link
    assert status == 200 and body.startswith("%PDF")


@pytest.mark.slow
def test_in_chromium_a_saved_chapter_shows_within_five_seconds(preview):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(preview.url + "chapter2.html")
            # The page's script has read the build count it will compare with.
            page.wait_for_function("() => window.folioPreviewVersion !== undefined")
            edit(preview.root, "manuscript/chapter2.md", "Most sites", "Nearly all sites")
            saved = time.monotonic()
            page.wait_for_function(
                "() => document.body.innerText.includes('Nearly all sites')", timeout=5000)
            assert time.monotonic() - saved < 5
            edit(preview.root, "manuscript/chapter2.md", "(#survey-method)", "(#nowhere)")
            page.wait_for_selector("#folio-error", timeout=5000)
            assert "link to a missing id '#nowhere'" in page.inner_text("#folio-error")
        finally:
            browser.close()


def raw_request(preview: Preview, method: str, path: str, host: str, body: bytes = b"",
                headers: dict | None = None) -> tuple[int, bytes]:
    """A request with any Host header (urllib always sends the right one)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", preview.server.server_address[1],
                                      timeout=PATIENCE)
    try:
        conn.putrequest(method, path, skip_host=True)
        conn.putheader("Host", host)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example",
                                  "localhost", "127.0.0.1:1", "", "[::1]:{port}"])
def test_a_foreign_host_is_refused(served, host):
    """DNS rebinding: a page of evil.example that points its name at 127.0.0.1 sends
    'Host: evil.example:PORT'; it reads nothing, not even the build state."""
    port = served.server.server_address[1]
    for method, path in [("GET", "/chapter2.html"), ("GET", "/__folio/state"),
                         ("HEAD", "/index.html"), ("POST", "/__rebuild")]:
        status, body = raw_request(served, method, path, host.format(port=port),
                                   f"token={served.token}".encode())
        assert status == 403, (method, path)
        assert b"Most sites" not in body and b"version" not in body
    assert not (served.root / "build/tiny-report.pdf").exists()


def test_both_local_names_are_served(served):
    port = served.server.server_address[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        status, body = raw_request(served, "GET", "/chapter2.html", host)
        assert status == 200 and b"Most sites scored" in body


def test_a_cross_site_rebuild_is_refused(served):
    """An <img src> or a form on another site: a GET, or a POST without this run's token."""
    port = served.server.server_address[1]
    host = f"127.0.0.1:{port}"
    version = state(served)["version"]
    assert raw_request(served, "GET", "/__rebuild?all", host)[0] == 405
    for body in (b"", b"token=", b"token=guess", b"all=1"):
        status, reply = raw_request(served, "POST", "/__rebuild", host, body,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 403 and b"token" in reply
    assert raw_request(served, "POST", "/__rebuild", host, b"x" * 10_000)[0] == 400
    assert state(served)["version"] == version  # no build ran
    assert not (served.root / "build/tiny-report.pdf").exists()
    assert Preview(served.root).token != served.token  # a new run, a new token


@pytest.mark.slow  # a real process and its signals
def test_ctrl_c_stops_the_preview_cleanly(tmp_path):
    """SIGINT while serving, and while the first build runs: a word, exit 0, no traceback."""
    import signal
    import subprocess


    root = assemble_tiny(tmp_path / "report")
    script = ("import sys\nfrom folio.commands.serve import serve\n"
              "serve(sys.argv[1], 0, log=lambda m: print(m, flush=True))\n")
    for wait_for in ("serving ", None):
        proc = subprocess.Popen([PYTHON, "-c", script, str(root)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
        if wait_for:
            assert outcome_line(proc.stdout).startswith(("built", "up to date"))
            assert proc.stdout.readline().startswith(wait_for)
        else:
            time.sleep(1.0)  # importing and building: the first build is under way
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=PATIENCE)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and out.rstrip().endswith("stopped")
