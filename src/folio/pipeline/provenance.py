"""Provenance: ``build/manifest.json`` says which sources and tools made which bytes.

It records the source commit (and whether the inputs had uncommitted
changes), ``SOURCE_DATE_EPOCH``, the sha256 of every input file, the versions
of the tools that shape the output, and the path, size and sha256 of every
output file (and the PDF's page count). ``verify`` compares against it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from folio.theme import theme_inputs

#: Folders of a project whose files are inputs of the build.
INPUT_FOLDERS = ("data", "manuscript", "templates")
#: Python packages whose versions shape every edition; each edition adds its own
#: (``folio.editions.catalog``), and the manifest records them all.
TOOLS = ("folio", "lxml", "jinja2", "markupsafe", "pydantic", "pyyaml", "pypandoc-binary")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Provenance:
    """Where a build's bytes come from, found once as the build starts: the incremental
    plan keys on it and the manifest records it."""

    source: dict[str, object]
    """The commit the sources come from and whether the inputs differ from it."""
    date: str
    """What the build's date comes from: SOURCE_DATE_EPOCH, else the Unix time of the last
    commit touching the project, else '' (the editions then take the publication date)."""
    inputs: dict[str, str]
    """sha256 of every input file, by project-relative path."""
    tools: dict[str, str]
    """Versions of Python, pandoc and the packages that shape the editions."""


def collect(root: Path, pandoc: str | Future, packages: Iterable[str] = ()) -> Provenance:
    """The provenance of a build of ``root``: each git question is asked once (the commit,
    the committed inputs' blobs, and, without SOURCE_DATE_EPOCH, the last commit's date),
    every input is read and hashed once (for the manifest and, as git hashes a blob, to
    see whether the inputs differ from the commit).

    ``pandoc`` is pandoc's version, or a Future of ``convert.pandoc_binary()``'s (path,
    version), running while the inputs are hashed."""
    given = source_date_epoch()  # checked first, before anything is hashed, made or written
    commit = git(root, "rev-parse", "HEAD")
    inputs, blobs = hash_inputs(root, blob_format(commit))
    source = source_state(root, commit, blobs)
    date = str(given) if given is not None else ""
    if not date and commit is not None:
        date = git(root, "log", "-1", "--format=%ct", "--", ".") or ""
    version = pandoc if isinstance(pandoc, str) else pandoc.result()[1]
    return Provenance(source, date, inputs, tool_versions(version, (*TOOLS, *packages)))


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def input_files(root: Path) -> dict[str, str]:
    """sha256 of every input file, by project-relative path, in a fixed order."""
    return hash_inputs(root, None)[0]


def hash_inputs(root: Path, blob_algorithm: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Every input file read once: (sha256 of each, its line endings normalised, for the
    manifest; the object id git gives each as it is on disk, a link as its target, with
    ``blob_algorithm``, or {} without one), by project-relative path, in a fixed order.

    An unreadable file is a located BuildError, raised before anything is made."""
    from folio.errors import Problems
    from folio.inputs.paths import normalised

    found: dict[str, str] = {}
    blobs: dict[str, str] = {}
    problems = Problems()
    for folder in INPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root).as_posix()
            link = path.is_symlink()
            if link and blob_algorithm:  # git keeps a link as its target's name
                blobs[rel] = _blob_hash(os.readlink(path).encode("utf-8"), blob_algorithm)
            if not path.is_file():
                continue
            try:
                raw = path.read_bytes()
            except OSError as exc:  # unreadable: say which, before anything is made
                problems.add(f"cannot be read: {(exc.strerror or str(exc)).lower()}", rel)
                continue
            found[rel] = sha256(normalised(path, raw))  # CRLF or LF: the same sources
            if blob_algorithm and not link:
                blobs[rel] = _blob_hash(raw, blob_algorithm)
    problems.raise_if_any()
    # The default theme's files the project does not override are inputs too (in the package,
    # not in the project's git tree: no blob id).
    found.update((rel, sha256(path.read_bytes())) for rel, path in theme_inputs(root).items())
    return dict(sorted(found.items())), dict(sorted(blobs.items()))


def tool_versions(pandoc_version: str, packages: Iterable[str] = TOOLS) -> dict[str, str]:
    """Versions of Python, pandoc and ``packages``."""
    versions = {"python": platform.python_version(), "pandoc": pandoc_version}
    for name in packages:
        versions[name] = package_version(name)
    return versions


@functools.cache
def package_version(name: str) -> str:
    """An installed distribution's version, or 'not installed'. Looked up once per process
    (1 ms each, some 20 a build: ``invoke serve`` and the suite build many times): the version
    of the code this process runs, which an upgrade while it runs does not change either (its
    workers' server imported WeasyPrint at start)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


#: Settings that keep git from running a command a project's ``.git/config`` names (building
#: someone else's folder must never run their code): they override the repository's own.
#: Filter drivers (``filter.<name>.clean``) cannot be overridden by name, so no command used
#: here reads the working tree through git: :func:`git_state` hashes the files itself.
SAFE_CONFIG = ("core.fsmonitor=false", "core.hooksPath=/dev/null", "core.untrackedCache=false",
               "core.pager=cat", "core.askPass=", "core.sshCommand=false", "core.gitProxy=",
               "core.alternateRefsCommand=", "credential.helper=", "diff.external=",
               "log.showSignature=false", "gpg.program=false", "protocol.allow=never",
               "submodule.recurse=false", "gc.auto=0", "maintenance.auto=false",
               "fetch.recurseSubmodules=false", "uploadpack.packObjectsHook=")


def git_environment() -> dict[str, str]:
    """The environment git runs in: none of the caller's ``GIT_*`` settings, no system or
    global configuration, no prompt, no pager, no optional lock (so no index write)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in ("SSH_ASKPASS", "PAGER", "EDITOR", "VISUAL")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_ATTR_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0",
                "GIT_PAGER": "cat", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_ASKPASS": "",
                "GIT_EDITOR": "false", "GIT_PROTOCOL_FROM_USER": "0", "LC_ALL": "C"})
    return env


def run_git(root: Path, *args: str, stdin: bytes | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``root``: the one way the package runs git.

    git runs with :data:`SAFE_CONFIG` and :func:`git_environment`: nothing the project's
    repository configures (an fsmonitor, a hook, a pager, a signature program) is run.
    Raises OSError or SubprocessError (no git, a timeout); a failing command is returned.
    """
    overrides = [arg for setting in SAFE_CONFIG for arg in ("-c", setting)]
    command = ["git", *overrides, "-C", str(root), *args]
    if stdin is not None:
        return subprocess.run(command, input=stdin, capture_output=True, timeout=timeout,
                              env=git_environment(), check=False)
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, env=git_environment(), check=False)


def git(root: Path, *args: str) -> str | None:
    """Output of a git command run in ``root`` (by :func:`run_git`), or None outside a
    checkout (or without git)."""
    try:
        proc = run_git(root, *args)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.decode("utf-8", "surrogateescape").strip() if proc.returncode == 0 else None


def git_state(root: Path) -> dict[str, object]:
    """The commit the sources come from and whether the inputs differ from it (a build
    asks once, in :func:`collect`, from the hashes it makes anyway)."""
    commit = git(root, "rev-parse", "HEAD")
    return source_state(root, commit, hash_inputs(root, blob_format(commit))[1])


def blob_format(commit: str | None) -> str | None:
    """The hash git names objects with in a repository whose HEAD is ``commit`` (None
    outside one)."""
    if commit is None:
        return None
    return "sha256" if len(commit) == 64 else "sha1"


def source_state(root: Path, commit: str | None, blobs: dict[str, str]) -> dict[str, object]:
    """{commit, dirty}: whether the input files, whose git object ids are ``blobs``
    (:func:`hash_inputs`), differ from those ``commit`` holds.

    Not ``git status``: it runs the filter commands a repository configures on files whose
    times changed. The committed blobs' hashes (``git ls-tree``, which reads only the object
    store) are compared with the files' own, hashed as git hashes a blob.
    """
    if commit is None:
        return {"commit": None, "dirty": None}
    listing = git(root, "ls-tree", "-r", "-z", "HEAD", "--", *INPUT_FOLDERS)
    if listing is None:
        return {"commit": commit, "dirty": None}
    committed = {}
    for entry in filter(None, listing.split("\0")):
        meta, _, rel = entry.partition("\t")
        _mode, kind, blob = meta.split()
        if kind == "blob":
            committed[rel] = blob
    return {"commit": commit, "dirty": blobs != committed}


def _blob_hash(data: bytes, algorithm: str) -> str:
    """The object id git gives a blob of ``data``."""
    return hashlib.new(algorithm, b"blob %d\0" % len(data) + data).hexdigest()


#: The range of SOURCE_DATE_EPOCH: a zip entry (the EPUB) cannot be dated before 1980, and a
#: PDF or OPF date has four digits of year.
EPOCH_RANGE = (315_532_800, 253_402_300_799)


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as an int, None when unset; a located BuildError when it is not a
    whole number of seconds in :data:`EPOCH_RANGE` (never silently another date)."""
    from folio.errors import BuildError

    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise BuildError(f"'{value[:40]}' is not a whole number of seconds since 1970"
                         " (the shell's date +%s gives one)", "SOURCE_DATE_EPOCH")
    low, high = EPOCH_RANGE
    if not low <= int(value) <= high:
        raise BuildError(f"{value[:40]} is out of range: give a time from 1980-01-01 to"
                         f" 9999-12-31 ({low} to {high})", "SOURCE_DATE_EPOCH")
    return int(value)


def output_entry(rel: str, data: bytes, **extra) -> dict[str, object]:
    """One output file's record."""
    return {"path": rel, "size": len(data), "sha256": sha256(data), **extra}


def make_manifest(provenance: Provenance, epoch: int, outputs: list[dict[str, object]]) -> bytes:
    """The manifest as canonical JSON bytes (sorted keys, fixed separators)."""
    manifest = {
        "format": "folio-manifest/1",
        "source": provenance.source,
        "source_date_epoch": epoch,
        "tools": provenance.tools,
        "inputs": provenance.inputs,
        "outputs": sorted(outputs, key=lambda o: str(o["path"])),
    }
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(path: Path) -> dict:
    """Load a manifest written by :func:`make_manifest`."""
    return json.loads(path.read_text("utf-8"))
