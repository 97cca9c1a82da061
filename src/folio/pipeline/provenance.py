"""Provenance: ``build/manifest.json`` says which sources and tools made which bytes.

It records the source commit (and whether the inputs had uncommitted
changes), ``SOURCE_DATE_EPOCH``, the sha256 of every input file, the versions
of the tools that shape the output, and the path, size and sha256 of every
output file (and the PDF's page count). ``verify`` compares against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

#: Folders of a project whose files are inputs of the build.
INPUT_FOLDERS = ("data", "manuscript", "templates")
#: Python packages whose versions shape the editions.
TOOLS = ("folio", "weasyprint", "pydyf", "fonttools", "pillow", "tinycss2", "cssselect2",
         "tinyhtml5", "pyphen", "ebooklib", "lxml", "jinja2", "markupsafe", "pydantic", "pyyaml",
         "pypandoc-binary")
MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def input_files(root: Path) -> dict[str, str]:
    """sha256 of every input file, by project-relative path, in a fixed order."""
    from folio.errors import Problems
    from folio.inputs.paths import read_input

    found, problems = {}, Problems()
    for folder in INPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                try:
                    found[rel] = sha256(read_input(path))  # CRLF or LF: the same sources
                except OSError as exc:  # unreadable: say which, before anything is made
                    problems.add(f"cannot be read: {(exc.strerror or str(exc)).lower()}", rel)
    problems.raise_if_any()
    return dict(sorted(found.items()))


def tool_versions(pandoc_version: str) -> dict[str, str]:
    """Versions of Python, pandoc and the packages that shape the output."""
    versions = {"python": platform.python_version(), "pandoc": pandoc_version}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


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


def git(root: Path, *args: str) -> str | None:
    """Output of a git command run in ``root``, or None outside a checkout (or without git).

    git runs with :data:`SAFE_CONFIG` and :func:`git_environment`: nothing the project's
    repository configures (an fsmonitor, a hook, a pager, a signature program) is run.
    """
    overrides = [arg for setting in SAFE_CONFIG for arg in ("-c", setting)]
    try:
        proc = subprocess.run(["git", *overrides, "-C", str(root), *args], capture_output=True,
                              text=True, timeout=30, env=git_environment(),
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(root: Path) -> dict[str, object]:
    """The commit the sources come from and whether the inputs differ from it.

    Not ``git status``: it runs the filter commands a repository configures on files whose
    times changed. The committed blobs' hashes (``git ls-tree``, which reads only the object
    store) are compared with the files' own, hashed here as git hashes a blob.
    """
    commit = git(root, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    listing = git(root, "ls-tree", "-r", "-z", "HEAD", "--", *INPUT_FOLDERS)
    if listing is None:
        return {"commit": commit, "dirty": None}
    committed = {}
    for entry in filter(None, listing.split("\0")):
        meta, _, rel = entry.partition("\t")
        mode, kind, blob = meta.split()
        if kind == "blob":
            committed[rel] = (mode, blob)
    algorithm = "sha256" if len(commit) == 64 else "sha1"
    present = {}
    for folder in INPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                present[rel] = _blob_hash(os.readlink(path).encode("utf-8"), algorithm)
            elif path.is_file():
                present[rel] = _blob_hash(path.read_bytes(), algorithm)
    dirty = present != {rel: blob for rel, (_, blob) in committed.items()}
    return {"commit": commit, "dirty": dirty}


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


def make_manifest(root: Path, epoch: int, pandoc_version: str,
                  outputs: list[dict[str, object]]) -> bytes:
    """The manifest as canonical JSON bytes (sorted keys, fixed separators)."""
    manifest = {
        "format": "folio-manifest/1",
        "source": git_state(root),
        "source_date_epoch": epoch,
        "tools": tool_versions(pandoc_version),
        "inputs": input_files(root),
        "outputs": sorted(outputs, key=lambda o: str(o["path"])),
    }
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(path: Path) -> dict:
    """Load a manifest written by :func:`make_manifest`."""
    return json.loads(path.read_text("utf-8"))
