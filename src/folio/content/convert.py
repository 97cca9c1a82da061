"""Markdown to HTML through pandoc, one chapter at a time, cached by content hash.

pandoc is the binary inside the ``pypandoc-binary`` wheel, run by its path
(never one found on PATH). It runs with ``--sandbox`` so that a manuscript
cannot make it read other files or the network, and its warnings (an unknown
citation, say) become located errors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from folio.content.limits import MAX_CHAPTER_BYTES
from folio.errors import BuildError, Problem, Problems

Log = Callable[[str], None] | None

#: Markdown extensions an editor may use, beyond pandoc's defaults. Not TeX math in dollars:
#: "$HOME/bin:$PATH" and "$5 or $10" are prose (a formula is reported: content/formulas.py).
READER = "markdown+smart-tex_math_dollars"
#: Bumped when the post-processing of pandoc's output changes, to void the cache.
CACHE_VERSION = "2"
#: A cache entry starts with this and the sha256 of the HTML after it: a truncated or
#: altered entry fails the check and is converted again, never trusted.
_ENTRY = b"folio-cache "


@dataclass(frozen=True)
class Pandoc:
    """The pinned pandoc and the options every conversion shares."""

    path: str
    version: str
    bibliography: Path | None
    csl: Path | None
    cache_dir: Path | None
    prefetched: Prefetch | None = None
    """Conversions started before the project was loaded (:func:`prefetch`), if any."""

    def args(self, text: str = "@") -> list[str]:
        """Command-line arguments of the conversion of ``text``.

        citeproc costs pandoc a tenth of a second per run; a text with no citation for it
        to resolve (its output is the same without it) is converted without it.
        """
        args = [self.path, "--sandbox", "-f", READER, "-t", "html5", "--wrap=none"]
        if self.bibliography and _CITES.search(text):
            args += ["--citeproc", f"--bibliography={self.bibliography}",
                     "-M", "suppress-bibliography=true"]
            if self.csl:
                args.append(f"--csl={self.csl}")
        return args

    def key(self, text: str, extra: tuple[str, ...] = ()) -> str:
        """Cache key: everything that shapes the output of one conversion."""
        h = hashlib.sha256()
        for part in (CACHE_VERSION, self.version, READER, *extra, text):
            h.update(part.encode("utf-8") + b"\0")
        for path in (self.bibliography, self.csl):
            h.update(path.read_bytes() if path else b"-")
        return h.hexdigest()


def pandoc_path() -> Path:
    """The pandoc inside the pypandoc-binary wheel (found without importing pypandoc, whose
    own lookup runs every pandoc it finds, on PATH too, and keeps the highest version)."""
    spec = importlib.util.find_spec("pypandoc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pypandoc-binary is not installed: run scripts/setup")
    name = "pandoc.exe" if os.name == "nt" else "pandoc"
    return Path(next(iter(spec.submodule_search_locations))) / "files" / name


def pandoc_binary() -> tuple[str, str]:
    """Path and version of the pinned pandoc, its version read by running it. A build calls
    this once and passes the result on (:func:`make_pandoc`, the plan, the manifest)."""
    path = pandoc_path()
    try:
        proc = subprocess.run([str(path), "--version"], capture_output=True, env=_pandoc_env(),
                              timeout=60, check=False)
    except OSError as exc:
        raise RuntimeError(f"the pinned pandoc cannot run ({path}): {exc}") from None
    found = re.match(rb"pandoc(?:\.exe)? (\d[\w.-]*)", proc.stdout)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"the pinned pandoc gave no version ({path}, exit {proc.returncode})")
    return str(path), found.group(1).decode("ascii")


def make_pandoc(root: Path, bibliography: str | None, csl: str | None,
                cache_dir: Path | None, binary: tuple[str, str] | None = None,
                prefetched: Prefetch | None = None) -> Pandoc:
    """The pandoc configuration of one project; ``binary`` is :func:`pandoc_binary`'s
    (path, version), found again if not given."""
    path, version = binary or pandoc_binary()
    return Pandoc(path, version, root / bibliography if bibliography else None,
                  root / csl if csl and bibliography else None, cache_dir, prefetched)


def to_html(pandoc: Pandoc, text: str, shown: str, extra: tuple[str, ...] = (),
            log: Log = None) -> str:
    """Convert one Markdown text to an HTML5 fragment; pandoc warnings are errors.

    ``log(message)``, if given, hears of each conversion that is not a cache hit.
    """
    key = pandoc.key(text, extra)
    cached = pandoc.cache_dir / f"{key}.html" if pandoc.cache_dir else None
    html = pandoc.prefetched.take(key) if pandoc.prefetched else None
    if html is not None:
        if cached:
            _write_cache(cached, html)
        return html
    if cached:
        hit = _read_cache(cached)
        if hit is not None:
            return hit
    return _convert(pandoc, text, shown, extra, cached, log)


def _convert(pandoc: Pandoc, text: str, shown: str, extra: tuple[str, ...], cached: Path | None,
             log: Log) -> str:
    """Run pandoc on one text (no cache lookup); store the result in ``cached``."""
    if log:
        log(f"convert {shown}")
    proc = run_pandoc([*pandoc.args(text), *extra], text)
    stderr = proc.stderr.decode("utf-8", "replace")
    problems = [_locate(line, text, shown) for line in stderr.splitlines() if line.strip()]
    if proc.returncode != 0 or problems:
        raise BuildError(problems or [Problem(f"pandoc failed (exit {proc.returncode})", shown)])
    html = proc.stdout.decode("utf-8")
    if cached:
        _write_cache(cached, html)
    return html


def run_pandoc(args: list[str], text: str) -> subprocess.CompletedProcess[bytes]:
    """One pandoc process: ``args`` (the binary first), ``text`` on its standard input."""
    return subprocess.run(args, input=text.encode("utf-8"), capture_output=True,
                          env=_pandoc_env(), timeout=300, check=False)


class Prefetch:
    """Conversions started before the project is loaded, by cache key, until :func:`to_html`
    takes them (the gather's :class:`Pandoc` carries this object)."""

    def __init__(self, pool: ThreadPoolExecutor, pending: dict[str, Future]):
        self._pool, self._pending, self._lock = pool, pending, threading.Lock()

    def take(self, key: str) -> str | None:
        """The HTML of a prefetched conversion of this key, or None. A failed one is left for
        the caller to meet again, located, when it converts the text itself."""
        with self._lock:
            future = self._pending.pop(key, None)
        if future is None or future.exception() is not None:
            return None
        return future.result()

    def settle(self) -> None:
        """Wait for the conversions and drop those the gather did not use."""
        self._pool.shutdown()
        with self._lock:
            self._pending.clear()


def prefetch(root: Path, cache_dir: Path, binary: tuple[str, str] | None = None,
             log: Log = None) -> Prefetch:
    """Start converting every Markdown file of ``manuscript/`` (and the bibliography), before
    the project is even loaded, so pandoc works while Python imports and validates.

    The results wait in memory (nothing is written before the project loads) for the gather,
    which caches those it uses. The options guessed are those :func:`document.gather` will
    use; a file it does not use, or a wrong guess, only costs a conversion, since results are
    keyed by content. After the gather, ``settle()`` it."""
    styles = sorted((root / "templates" / "csl").glob("*.csl"))
    bibliography = "data/references.yaml" if (root / "data/references.yaml").is_file() else None
    pandoc = make_pandoc(root, bibliography,
                         f"templates/csl/{styles[0].name}" if len(styles) == 1 else None, cache_dir,
                         binary)
    jobs: list[tuple[str, str, tuple[str, ...]]] = [
        (text, path.relative_to(root).as_posix(), ())
        for path in sorted((root / "manuscript").rglob("*.md"))
        if (text := _read_inside(root, path)) is not None]
    if pandoc.bibliography:
        jobs.append(_bibliography_job(pandoc))
    pool = ThreadPoolExecutor(max(1, min(len(jobs), os.cpu_count() or 1)))
    pending = {}
    for text, shown, extra in jobs:
        key = pandoc.key(text, extra)
        if _read_cache(cache_dir / f"{key}.html") is None:
            pending[key] = pool.submit(_convert, pandoc, text, shown, extra, None, log)
    return Prefetch(pool, pending)


def _read_inside(root: Path, path: Path) -> str | None:
    """A Markdown file's text, unless it is a link, lies outside the project, is unusually
    large or cannot be read: loading the project judges such files; a guess leaves them."""
    try:
        if path.is_symlink() or not path.resolve().is_relative_to(root.resolve()) \
                or path.stat().st_size > MAX_CHAPTER_BYTES:
            return None
        text = path.read_text("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as loaded
    except (OSError, UnicodeDecodeError):
        return None
    from folio.content.limits import MAX_LINE_CHARS  # a chapter the limits refuse at once

    return None if any(len(line) > MAX_LINE_CHARS for line in text.split("\n")) else text


def convert_all(pandoc: Pandoc, jobs: list[tuple[str, str]], log: Log = None,
                bibliography: bool = False) -> list[str]:
    """Convert (text, shown) pairs side by side; report every failure together.

    With ``bibliography``, the bibliography's HTML ("" if none) is converted in the same
    pool, as slow as a chapter and independent of them, and comes last in the result.
    """
    problems = Problems()
    tasks: list[Callable[[], str]] = [partial(to_html, pandoc, text, shown, (), log)
                                      for text, shown in jobs]
    if bibliography:
        tasks.append(partial(bibliography_html, pandoc, log))
    results: list[str] = [""] * len(tasks)
    workers = max(1, min(len(tasks), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(task) for task in tasks]
        for i, future in enumerate(futures):
            try:
                results[i] = future.result()
            except BuildError as exc:
                problems.extend(exc)
    problems.raise_if_any()
    return results


def bibliography_html(pandoc: Pandoc, log: Log = None) -> str:
    """Every entry of the bibliography, formatted by citeproc with the project's CSL."""
    if not pandoc.bibliography:
        return ""
    text, shown, extra = _bibliography_job(pandoc)
    return to_html(pandoc, text, shown, extra, log)


def _bibliography_job(pandoc: Pandoc) -> tuple[str, str, tuple[str, ...]]:
    """(text, shown, extra arguments) of the conversion of the whole bibliography."""
    assert pandoc.bibliography is not None
    text = '---\nnocite: "@*"\nsuppress-bibliography: false\n---\n\n::: {#refs}\n:::\n'
    return text, f"data/{pandoc.bibliography.name}", ("-M", "suppress-bibliography=false")


#: Where pandoc may read a citation: an '@' not inside a word (an e-mail address's '@' is),
#: then a key's first character or a brace. A false alarm only costs citeproc's time.
_CITES = re.compile(r"(?<![\w@])@[\w{*]")
_CITATION = re.compile(r"citation (\S+) not found")
_PANDOC_LINE = re.compile(r"\bline (\d+) column \d+")
_DUPLICATE = re.compile(r"Duplicate identifier '([^']+)'")


def _locate(line: str, text: str, shown: str) -> Problem:
    """Turn one pandoc warning into a problem at the line it concerns."""
    message = re.sub(r"^\[WARNING\]\s*", "", line.strip())
    found = _CITATION.search(message)
    if found:
        key = found.group(1)
        return Problem(f"unknown citation '@{key}' (not in data/references.yaml)",
                       shown, _line_of(text, "@" + key))
    found = _DUPLICATE.search(message)
    if found:
        # pandoc gives the line after the heading; name both lines that declare {#id}.
        ident = found.group(1)
        where = [text.count("\n", 0, m.start()) + 1
                 for m in re.finditer(r"\{[^}]*#" + re.escape(ident) + r"[\s}]", text)]
        if len(where) > 1:
            return Problem(f"duplicate id '{ident}' (also on line {where[0]})", shown, where[1])
    at = _PANDOC_LINE.search(message)  # pandoc's positions are lines of the Markdown it read
    return Problem(f"pandoc: {message}", shown, int(at.group(1)) if at else None)


def _line_of(text: str, needle: str) -> int | None:
    # The whole key: '@smith' must not be found inside an earlier '@smith2020'.
    found = re.search(re.escape(needle) + r"(?![\w])", text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _pandoc_env() -> dict[str, str]:
    """A fixed environment: pandoc's output must not depend on the caller's locale."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "HOME": os.environ.get("HOME", "/")}


def _read_cache(path: Path) -> str | None:
    """A cache entry's HTML, or None when it is missing or fails its checksum."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    if head != _ENTRY + hashlib.sha256(body).hexdigest().encode("ascii"):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _write_cache(path: Path, html: str) -> None:
    body = html.encode("utf-8")
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_ENTRY + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body)
        os.replace(tmp, path)
    except OSError:  # a full or read-only disk: the cache is only a cache; the writes say so
        tmp.unlink(missing_ok=True)
