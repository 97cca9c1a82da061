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
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

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
    whether the inputs differ, and, without SOURCE_DATE_EPOCH, the last commit's date),
    every input is hashed once.

    ``pandoc`` is pandoc's version, or a Future of ``convert.pandoc_binary()``'s (path,
    version), running while the inputs are hashed."""
    source = git_state(root)
    date = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not date and source["commit"] is not None:
        date = git(root, "log", "-1", "--format=%ct", "--", ".") or ""
    inputs = input_files(root)
    version = pandoc if isinstance(pandoc, str) else pandoc.result()[1]
    return Provenance(source, date, inputs, tool_versions(version, (*TOOLS, *packages)))


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def input_files(root: Path) -> dict[str, str]:
    """sha256 of every input file, by project-relative path, in a fixed order."""
    found = {}
    for folder in INPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = sha256(path.read_bytes())
    return dict(sorted(found.items()))


def tool_versions(pandoc_version: str, packages: Iterable[str] = TOOLS) -> dict[str, str]:
    """Versions of Python, pandoc and ``packages``."""
    versions = {"python": platform.python_version(), "pandoc": pandoc_version}
    for name in packages:
        versions[name] = package_version(name)
    return versions


def package_version(name: str) -> str:
    """An installed distribution's version, or 'not installed'."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def git(root: Path, *args: str) -> str | None:
    """Output of a git command run in ``root``, or None outside a checkout (or without git)."""
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(root: Path) -> dict[str, object]:
    """The commit the sources come from and whether the inputs differ from it."""
    commit = git(root, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git(root, "status", "--porcelain", "--", *INPUT_FOLDERS)
    return {"commit": commit, "dirty": bool(status)}


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
