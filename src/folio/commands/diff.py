"""``invoke diff REV [--to REV2]``: what changed between two drafts, and where it moved in print.

Each side's ``manuscript/``, ``data/`` and ``templates/`` are taken from git
(its object store, never a checkout of the editor's tree) or, for the working
tree, copied, into a temporary folder, and their PDFs built there by the same
pipeline. The report, ``build/diff/index.html``, lists per file the words
deleted and inserted, in context, each with the PDF page it falls on (found by
searching the page's text, else the page its section starts on), and a page
map: the page each section starts on, before and after, and the page count.
"""

from __future__ import annotations

import difflib
import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from folio.check.pdf import bookmarks
from folio.editions.pagelist import squash
from folio.errors import BuildError, Problem
from folio.pipeline.output import write_file
from folio.pipeline.provenance import run_git

#: What is compared (and what a side needs to be built).
COMPARED = ("manuscript", "data")
SOURCES = ("data", "manuscript", "templates")
#: Words of unchanged text shown either side of a change.
CONTEXT = 8


@dataclass
class Side:
    """One revision, built: its source files and its PDF's pages and sections."""

    label: str
    files: dict[str, str]
    """Text of each compared file, by project-relative path."""
    pages: list[str]
    """Each PDF page's text, squashed (see :func:`squash`)."""
    outline: list[tuple[int, str, int]]
    """(level, title, page number from 1) of each PDF bookmark, in order."""


def diff(project_dir: Path | str, rev: str, to: str | None = None, log=print) -> Path:
    """Write build/diff/index.html comparing ``rev`` with ``to`` (default: the working tree)."""
    root = Path(project_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="folio-diff-") as tmp:
        old = _side(root, rev, Path(tmp) / "old", log)
        new = _side(root, to, Path(tmp) / "new", log)
    page = render(old, new)
    target = write_file(root / "build" / "diff" / "index.html", page.encode("utf-8"))
    log(f"wrote {target}")
    return target


def _side(root: Path, rev: str | None, where: Path, log) -> Side:
    """Export one revision's sources into ``where``, build its PDF, and read both back."""
    from pypdf import PdfReader

    from folio.pipeline.build import build  # late: the diff imports the whole pipeline only when it runs

    label = export(root, rev, where) if rev else _copy_worktree(root, where)
    cache = root / "build" / ".cache" / "pandoc"  # content-keyed, so safe to share
    if cache.is_dir():
        shutil.copytree(cache, where / "build" / ".cache" / "pandoc")
    log(f"building the PDF of {label}")
    try:
        outputs = build(where, ("pdf",))
    except BuildError as exc:
        raise BuildError([Problem(f"{p.message} (in {label})", p.path, p.line)
                          for p in exc.problems]) from None
    reader = PdfReader(outputs.paths["pdf"])
    files = {p.relative_to(where).as_posix(): p.read_text("utf-8", "replace")
             for folder in COMPARED for p in sorted((where / folder).rglob("*"))
             if p.is_file() and p.suffix in (".md", ".yaml")}
    return Side(label, files, [squash(page.extract_text() or "") for page in reader.pages],
                _outline(reader))


def export(root: Path, rev: str, where: Path) -> str:
    """Write a revision's sources (the project's folders at that commit) into ``where``.

    Read from git's object store (``ls-tree``, ``cat-file``), never by ``git archive``: an
    archive runs the smudge filters the project's ``.gitattributes`` name, and diffing
    someone else's project must not run their code."""
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    if not commit:
        raise BuildError(f"unknown revision '{rev}'", ".")
    # ls-tree takes paths from the current folder: run at the top, on the project's subtree.
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    tree = f"{commit}:{_git(root, 'rev-parse', '--show-prefix').decode().strip()}"
    names = set(_git(top, "ls-tree", "--name-only", "-z", tree).decode("utf-8").split("\0"))
    if "data" not in names:
        raise BuildError(f"revision '{rev}' has no data/ folder here", ".")
    folders = [folder for folder in SOURCES if folder in names]
    _write_tree(top, rev, tree, folders, where)
    for folder in SOURCES:
        if folder not in names:  # e.g. a revision from before templates/ existed: today's
            _copy(root / folder, where / folder)
    return f"{rev} ({commit[:10]})"


def _write_tree(top: Path, rev: str, tree: str, folders: list[str], where: Path) -> None:
    """Write the files of ``folders`` of ``tree`` under ``where``, their bytes as committed."""
    listing = _git(top, "ls-tree", "-r", "-z", tree, "--", *folders).decode("utf-8")
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, _, rel = entry.partition("\t")
        mode, kind, oid = meta.split()
        parts = rel.split("/")
        if rel.startswith("/") or any(part in ("", ".", "..", ".git") for part in parts):
            raise BuildError(f"revision '{rev}' holds a file named '{rel}', which is not a"
                             " name inside the project", ".")
        if kind == "blob":
            entries.append((mode, oid, rel))
    if not entries:
        return
    batch = _git(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for _, oid, _ in entries))
    at = 0
    for mode, _oid, rel in entries:
        header_end = batch.index(b"\n", at)
        size = int(batch[at:header_end].split()[2])
        data = batch[header_end + 1:header_end + 1 + size]
        at = header_end + 1 + size + 1
        target = where / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":  # a link: kept only when it points inside the export
            link = target.parent / data.decode("utf-8", "replace")
            if data.startswith(b"/") or not link.resolve().is_relative_to(where.resolve()):
                raise BuildError(f"revision '{rev}': {rel} is a link to a file outside the"
                                 " project", ".")
            target.symlink_to(data.decode("utf-8"))
        else:
            target.write_bytes(data)


def _copy_worktree(root: Path, where: Path) -> str:
    for folder in SOURCES:
        _copy(root / folder, where / folder)
    return "the working tree"


def _copy(src: Path, dest: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dest)


def _git(root: Path, *args: str, stdin: str | None = None) -> bytes:
    """A git command's output, run by :func:`run_git` (a failing ``rev-parse`` gives b"")."""
    try:
        proc = run_git(root, *args, stdin=None if stdin is None else stdin.encode("utf-8"),
                       timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BuildError(f"git {args[0]}: {exc}", ".") from None
    if proc.returncode != 0 and args[0] != "rev-parse":
        raise BuildError(f"git {args[0]}: {proc.stderr.decode('utf-8', 'replace').strip()}", ".")
    return proc.stdout if proc.returncode == 0 else b""


def _outline(reader) -> list[tuple[int, str, int]]:
    """(depth, title on one line, page number from 1) of every bookmark."""
    return [(depth, " ".join(str(title).split()), page + 1) for depth, title, page in bookmarks(reader)]


_MARKUP = [(re.compile(r"\]\([^)]*\)"), "]"), (re.compile(r"\{[^}]*\}"), ""),
           (re.compile(r"\[\^[^\]]*\]:?"), ""), (re.compile(r"\[?-?@[\w:.-]+[^\]]*\]?"), "")]


def _printed(words: list[str]) -> str:
    """Words of Markdown as they would print (link targets, ids, note calls, citations off)."""
    text = " ".join(words)
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return squash(text)


def page_of(side: Side, before: list[str], words: list[str], section: str | None) -> str:
    """Where ``words`` (after the words ``before``) fall in a side's PDF, as 'p. N'."""
    pages = side.pages
    joined = "".join(pages)
    starts, at = [], 0
    for text in pages:
        starts.append(at)
        at += len(text)
    lead, body = _printed(before[-4:]), _printed(words[:6])
    first = _section_page(side, section)
    for needle, offset in ((lead + body, len(lead)), (body, 0)):
        if len(needle) < 6:
            continue
        found = joined.find(needle, starts[first - 1] if first else 0)
        if found < 0:
            found = joined.find(needle)
        if found >= 0:
            position = found + offset
            return f"p. {max(i for i, s in enumerate(starts) if s <= position) + 1}"
    if first:
        return f"in “{section}”, from p. {first}"
    return "page not found"


def _section_page(side: Side, title: str | None) -> int | None:
    if not title:
        return None
    for _, name, page in side.outline:
        if squash(name) == squash(title):
            return page
    return None


def _headings(text: str) -> list[tuple[int, str]]:
    """(index of the first word after it, title) of each Markdown heading."""
    found, count = [], 0
    for line in text.splitlines():
        if re.match(r"#{1,6} ", line):
            found.append((count + len(line.split()), re.sub(r"\{[^}]*\}", "", line.lstrip("#")).strip()))
        count += len(line.split())
    return found


def _section_at(headings: list[tuple[int, str]], index: int) -> str | None:
    title = None
    for start, name in headings:
        if start > index:
            break
        title = name
    return title


def hunks(old: Side, new: Side, path: str) -> list[str]:
    """The changes of one file as HTML paragraphs: context, <del>, <ins>, and pages."""
    a, b = old.files.get(path, "").split(), new.files.get(path, "").split()
    heads_a, heads_b = _headings(old.files.get(path, "")), _headings(new.files.get(path, ""))
    out = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT):
        parts, where = [], []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                parts.append(html.escape(" ".join(b[j1:j2])))
                continue
            if i2 > i1:
                parts.append(f"<del>{html.escape(' '.join(a[i1:i2]))}</del>")
                page = page_of(old, a[:i1], a[i1:i2], _section_at(heads_a, i1))
                where.append(f"deleted from {page} of {old.label}")
            if j2 > j1:
                parts.append(f"<ins>{html.escape(' '.join(b[j1:j2]))}</ins>")
                page = page_of(new, b[:j1], b[j1:j2], _section_at(heads_b, j1))
                where.append(f"inserted on {page} of {new.label}")
        out.append(f'<p class="hunk"><span class="where">{html.escape("; ".join(where))}</span>'
                   f'<br>… {" ".join(parts)} …</p>')
    return out


def page_map(old: Side, new: Side) -> list[tuple[str, str, str, str]]:
    """(section, page before, page after, move) for every bookmark of either PDF."""
    before = {(lv, squash(t)): (t, p) for lv, t, p in reversed(old.outline)}
    rows, seen = [], set()
    for level, title, page in new.outline:
        key = (level, squash(title))
        if key in seen:
            continue
        seen.add(key)
        name = "  " * (level - 1) + title
        if key in before:
            was = before[key][1]
            move = "" if was == page else f"{page - was:+d}"
            rows.append((name, str(was), str(page), move))
        else:
            rows.append((name, "", str(page), "new"))
    for (level, squashed), (title, page) in before.items():
        if (level, squashed) not in seen:
            rows.append(("  " * (level - 1) + title, str(page), "", "removed"))
    return rows


_STYLE = """body{font:16px/1.5 sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}
.where{font-size:.85em;color:#555}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;white-space:pre}"""


def render(old: Side, new: Side) -> str:
    """The report as one self-contained HTML page (every text escaped)."""
    e = html.escape
    count = f"{len(old.pages)} → {len(new.pages)} pages ({len(new.pages) - len(old.pages):+d})"
    body = [f"<h1>Changes from {e(old.label)} to {e(new.label)}</h1>",
            f"<p>PDF: {e(count)}</p>", "<h2>Page map</h2>",
            "<table><tr><th>Section</th><th>Before</th><th>After</th><th>Moved</th></tr>"]
    for row in page_map(old, new):
        body.append("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>")
    body.append("</table><h2>Changes by file</h2>")
    unchanged = 0
    for path in sorted(old.files.keys() | new.files.keys()):
        if old.files.get(path) == new.files.get(path):
            unchanged += 1
            continue
        status = "added" if path not in old.files else "removed" if path not in new.files else "changed"
        body.append(f"<h3>{e(path)} ({status})</h3>")
        body.extend(hunks(old, new, path) or ["<p>Only spacing or line breaks changed.</p>"])
    body.append(f"<p>{unchanged} other files of manuscript/ and data/ are unchanged.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Changes: {e(old.label)} to {e(new.label)}</title><style>{_STYLE}</style>"
            "</head><body>\n" + "\n".join(body) + "\n</body></html>\n")
