"""Hostile input, round two (issue 15), as properties and under watch.

- Whatever id a chapter's title heading carries, and whatever a reference's title, name and
  URL hold, the build either refuses with a BuildError or makes editions whose every file
  name stays inside build/ and whose every page holds no live script (Hypothesis).
- A whole build, watched by an audit hook in every Python process it starts, opens nothing
  for writing outside build/ and the temporary folder, runs no program but the wheel's
  pandoc (by its path), git (with the configuration of provenance.SAFE_CONFIG), Pagefind
  and its own Python (the workers' fork server), and connects to nothing but its own
  workers' local sockets.
"""

from __future__ import annotations

import html as htmllib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import html

from folio.content.convert import pandoc_path
from folio.content.gather import gather
from folio.content.render import make_environment
from folio.content.sanitize import ALLOWED, CODE_SCHEMES, allowed_attribute, scheme_of
from folio.editions.html import build_html
from folio.errors import BuildError
from folio.inputs.load import load_project
from helpers import PYTHON, REPO, assemble_tiny, examples

SETTINGS = settings(max_examples=examples(25), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
#: Pieces of paths and markup an attacker would try, mixed into random text.
HOSTILE = ["../", "..", "/", "\\", "C:", "\x00", ".", "%2e%2e%2f", "~", "<script>", "</script>",
           "<img src=x onerror=alert(1)>", "javascript:", "JaVa\tScRiPt:", "data:text/html,",
           "vbscript:", "<svg onload=alert(1)>", "&lt;script&gt;", "\"", "'", "<", ">", "&",
           "PWNED", "nul", "con.txt", "\u202e", "é", " "]
HOSTILE_TEXT = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)),
                        max_size=6).map("".join)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return assemble_tiny(tmp_path_factory.mktemp("props") / "report")


@pytest.fixture(scope="module")
def design(project) -> tuple[set[str], set[tuple[str, str]]]:
    """The elements and (element, attribute) pairs the templates themselves write: the
    pages of the untouched project, less what the manuscript's allowlist already allows."""
    site = _site(project)
    assert site is not None
    tags: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for rel, data in site.items():
        if rel.endswith(".html"):
            for el in html.fromstring(data).iter():
                if isinstance(el.tag, str):
                    tags.add(el.tag)
                    pairs.update((el.tag, name) for name in el.attrib)
    return tags, pairs


def _site(root: Path) -> dict[str, bytes] | None:
    """The HTML site of ``root`` in memory, or None when the build refuses it."""
    env = make_environment(root / "templates")
    try:
        report = gather(load_project(root), env=env)
    except BuildError:
        return None
    return build_html(report, {"PDF": "../x.pdf", "EPUB": "../x.epub"}, env)


def _outside_allowlist(page: bytes, design: tuple[set[str], set[tuple[str, str]]]) -> list[str]:
    """Every element or attribute of a page that neither the raw-HTML allowlist
    (:data:`ALLOWED`) nor the templates' own markup (``design``) accounts for."""
    tags, pairs = design
    found = []
    for el in html.fromstring(page).iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag not in ALLOWED and el.tag not in tags:
            found.append(f"<{el.tag}>")
        found += [f"<{el.tag} {name}>" for name in el.attrib
                  if not allowed_attribute(el.tag, name) and (el.tag, name) not in pairs]
    return found


def _inside(rel: str, out: Path) -> bool:
    return (out / rel).resolve().is_relative_to(out.resolve()) and not Path(rel).is_absolute()


#: The scripts the templates themselves put in a page (the search, the note pop-ups), by src.
TEMPLATE_SCRIPTS = {"search.js", "notes.js", "pagefind/pagefind-ui.js", "pagefind/pagefind.js"}


def _foreign(script) -> bool:
    """A script the templates did not write: another src, or inline code (not JSON-LD)."""
    if script.get("src"):
        return script.get("src") not in TEMPLATE_SCRIPTS
    return bool((script.text or "").strip()) and script.get("type") != "application/ld+json"


def _live_script(page: bytes) -> list[str]:
    """Everything in a page that could run: a script the templates did not write, a
    handler, a javascript:/vbscript:/data: URL."""
    tree = html.fromstring(page)
    found = [f"<script src={el.get('src')}>" for el in tree.iter("script") if _foreign(el)]
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"<{el.tag} {name}>")
            if name in ("href", "src", "action", "formaction", "data") and \
                    scheme_of(value) in CODE_SCHEMES:
                found.append(f"<{el.tag} {name}={value}>")
        if el.tag in ("iframe", "object", "embed", "foreignobject"):
            found.append(f"<{el.tag}>")
    return found


@pytest.mark.parametrize("markup", [
    "<script>alert(1)</script>", '<script src="https://e.org/x.js"></script>',
    '<img src="x.png" onerror="alert(1)">', '<a href="JavaScript:alert(1)">x</a>',
    '<iframe src="https://e.org/"></iframe>', '<svg><g onload="alert(1)"/></svg>'])
def test_the_detector_sees_live_script(markup):
    assert _live_script(f"<html><body><p>{markup}</p></body></html>".encode())


def test_the_allowlist_check_sees_foreign_markup(design):
    page = b'<html><body><p><marquee>x</marquee><b onmouseover="x()">y</b></p></body></html>'
    assert _outside_allowlist(page, design) == ["<marquee>", "<b onmouseover>"]


def test_a_clean_page_has_no_live_script(tiny):
    for page in (tiny.root / "build/html").glob("*.html"):
        assert _live_script(page.read_bytes()) == [], page.name


@SETTINGS
@given(ident=HOSTILE_TEXT)
@example(ident="../../../outside/PWNED")
@example(ident="/tmp/PWNED")
@example(ident="..")
def test_no_title_id_names_a_path_outside_build(project, design, tmp_path, ident):
    chapter = project / "manuscript/chapter1.md"
    original = chapter.read_text("utf-8")
    try:
        lines = original.split("\n")
        lines[0] = f'<h1 id="{htmllib.escape(ident)}">Chapter One</h1>'
        chapter.write_text("\n".join(lines), "utf-8")
        site = _site(project)
    finally:
        chapter.write_text(original, "utf-8")
    if site is None:
        return
    out = tmp_path / "build" / "html"
    assert all(_inside(rel, out) for rel in site), sorted(site)
    for rel, data in site.items():
        if rel.endswith(".html"):
            assert _live_script(data) == [], rel
            assert _outside_allowlist(data, design) == [], rel


@SETTINGS
@given(title=HOSTILE_TEXT, family=HOSTILE_TEXT, url=HOSTILE_TEXT)
@example(title="<script>alert(1)</script>", family="x", url="javascript:alert(1)")
@example(title="<img src=x onerror=alert(1)>", family="<b onclick=x()>", url="https://e.org")
def test_no_reference_field_makes_a_live_script(project, design, title, family, url):
    path = project / "data/references.yaml"
    original = path.read_text("utf-8")
    refs = yaml.safe_load(original)
    first = refs["references"][0]
    first["title"], first["author"][0]["family"], first["URL"] = title, family, url
    try:
        path.write_text(yaml.safe_dump(refs, allow_unicode=True), "utf-8")
        site = _site(project)
    finally:
        path.write_text(original, "utf-8")
    if site is None:
        return
    for rel, data in site.items():
        if rel.endswith(".html"):
            assert _live_script(data) == [], rel
            assert _outside_allowlist(data, design) == [], rel


#: Installed in every Python process the build starts (PYTHONPATH): records what it sees.
SITECUSTOMIZE = r'''
import os, sys
LOG = os.environ["FOLIO_AUDIT_LOG"]
def _hook(event, args):
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int) or path is None:
            return
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags != -1 and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writing and os.fsdecode(path) != LOG:
            _log("write", os.path.abspath(os.fsdecode(path)))
    elif event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn"):
        _log("exec", os.fsdecode(args[0]) if args[0] is not None else repr(args[1]))
    elif event == "socket.connect":
        _log("connect", repr(args[1]))
def _log(kind, what):
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (kind + "\t" + what.replace("\n", " ") + "\n").encode("utf-8", "replace"))
    os.close(fd)
sys.addaudithook(_hook)
'''
#: Programs a build may run, by name (pandoc only by the wheel's path: :data:`PANDOC`).
PROGRAMS = ("pandoc", "git", "pagefind", "pagefind_extended")
#: The one pandoc a build runs: the pypandoc-binary wheel's, never one found on PATH (a pyenv
#: shim's ``pandoc --version`` once ran a shell script, and pypandoc ran every pandoc it found).
PANDOC = str(pandoc_path())


def _may_run(program: str) -> bool:
    """Whether a build may start ``program`` (as exec'd: a path, or a name found on PATH)."""
    name = Path(program).name
    if name.split(".")[0] == "pandoc":
        return program == PANDOC
    return name in PROGRAMS or name == Path(PYTHON).name  # the workers' fork server


@pytest.mark.slow  # a whole build in a subprocess, audited
def test_a_build_writes_runs_and_connects_only_as_it_should(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, "utf-8")
    log = Path(tempfile.gettempdir()) / f"folio-audit-{os.getpid()}.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), *sys.path]),
           "FOLIO_AUDIT_LOG": str(log), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([PYTHON, "-m", "folio", "--project", str(root), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    seen = [line.split("\t", 1) for line in log.read_text("utf-8").splitlines()]
    log.unlink()
    assert ("exec", PANDOC) in [tuple(entry) for entry in seen]  # the hook works
    temp = Path(tempfile.gettempdir()).resolve()
    build = (root / "build").resolve()
    wrong = []
    for kind, what in seen:
        if kind == "write":
            path = Path(what).resolve()
            ok = path.is_relative_to(build) or path.is_relative_to(temp) or what == os.devnull
        elif kind == "exec":
            ok = _may_run(what)
        else:
            ok = what.startswith(("'/tmp/", f"'{temp}/", "b'\\x00"))  # AF_UNIX, workers only
        if not ok:
            wrong.append(f"{kind} {what}")
    assert not wrong, "\n".join(sorted(set(wrong)))


#: System calls that create or change a file, and those that run a program or connect.
STRACE_CALLS = "openat,open,creat,execve,connect,rename,renameat,renameat2,mkdir,mkdirat,unlink,unlinkat"
_WRITES = re.compile(r"^\d+ +(open|openat|creat|rename|renameat2?|mkdir|mkdirat|unlink|unlinkat)\((.*)")


@pytest.mark.slow  # a whole build under strace
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_under_strace_a_build_touches_only_build_and_temp_and_runs_its_tools(tmp_path, request):
    """The same, seen by the kernel: pandoc's and Pagefind's own calls too."""
    root = assemble_tiny(tmp_path / "report")
    log = tmp_path / "strace.log"
    # The build's temporary directory, which it must leave empty; a short path, for the pool's
    # socket (AF_UNIX paths are at most 107 bytes, tmp_path's can be longer).
    scratch = Path(tempfile.mkdtemp(prefix="t"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(scratch)}
    proc = subprocess.run(["strace", "-f", "-qq", "-e", f"trace={STRACE_CALLS}", "-o", str(log),
                           PYTHON, "-m", "folio", "--project", str(root), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr
    # WeasyPrint's copies of the fonts (weasyprint-*) were left here by every PDF build.
    assert sorted(p.name for p in scratch.iterdir()) == []
    allowed = [(root / "build").resolve(), scratch.resolve(), Path("/dev")]
    wrong, ran = [], []
    starting: dict[str, str] = {}  # pid -> program, for an execve strace split in two lines
    for line in log.read_text("utf-8", "replace").splitlines():
        pid = line.split(" ", 1)[0]
        if " execve(" in line and line.endswith("<unfinished ...>"):
            starting[pid] = line.split('execve("', 1)[1].split('"', 1)[0]
            continue
        if (" execve(" in line and "= 0" in line) or \
                ("<... execve resumed>" in line and line.rstrip().endswith("= 0") and pid in starting):
            program = starting.pop(pid, None) or line.split('execve("', 1)[1].split('"', 1)[0]
            ran.append(Path(program).name)
            if not _may_run(program):
                wrong.append(f"exec {program}")
        elif " connect(" in line and ("AF_INET" in line or "AF_INET6" in line):
            wrong.append(line)
        elif (found := _WRITES.match(line)) and " = -1 " not in line and (
                found[1] not in ("open", "openat") or re.search(r"O_WRONLY|O_RDWR|O_CREAT", line)):
            # every path a rename names, the first of the others ("unfinished" lines too)
            paths = re.findall(r'"([^"]*)"', found[2])
            for name in paths if found[1].startswith("rename") else paths[:1]:
                path = Path(name)
                if (path.is_absolute() and not any(path.resolve().is_relative_to(a) for a in allowed)) \
                        or ".." in path.parts:
                    wrong.append(f"{found[1]} {name}")
    assert "pandoc" in ran and "git" in ran  # strace saw the children
    assert not wrong, "\n".join(sorted(set(wrong)))
