"""Provenance: ``build/manifest.json`` says which sources and tools made which bytes.

It records the source commit (and whether the inputs had uncommitted
changes), ``SOURCE_DATE_EPOCH``, the sha256 of every input file, the versions
of the tools that shape the output, and the path, size and sha256 of every
output file (and the PDF's page count). ``verify`` compares against it.
"""

from __future__ import annotations

import hashlib
import json
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
    found = {}
    for folder in INPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = sha256(path.read_bytes())
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
