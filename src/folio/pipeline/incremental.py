"""Incremental builds: which editions are already up to date, decided by hashes alone.

Each edition has a key, the sha256 of everything that shapes it: every input
file it reads (data/, manuscript/, templates/ less the files only other
editions read), the versions of the tools it uses (pandoc's among them), folio's
own code, and the build's date; the editions declare their own inputs and tools
(``folio.editions.catalog``). The site, which carries the PDF and the EPUB, also keys on
their keys. ``build/.cache/stamp.json`` records, per edition, the key of its last
build and the manifest record (size, sha256) of every file it wrote. An edition whose key is unchanged
and whose files are still those bytes is not made again and not written (its
files keep their mtimes). Only the standard library is imported here: a no-op
build must not pay for loading pandoc, WeasyPrint or the data schemas.

Chapters have their own, finer cache (``convert.py``): a chapter is converted
again only when its text, the bibliography, the citation style or pandoc change.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from folio.editions import catalog
from folio.pipeline.provenance import MANIFEST, Provenance, sha256

STAMP = "stamp.json"
FORMAT = "folio-stamp/2"


@dataclass
class Plan:
    """What a build has to do: the editions that are stale, and the keys to record."""

    keys: dict[str, str]
    """Key of each requested edition, computed before anything is read for the build."""
    stale: tuple[str, ...]
    """Requested editions that must be made again."""
    source: dict[str, object]
    """The git state the manifest records (commit, dirty)."""
    stamp: dict[str, Any] = field(default_factory=dict)
    """The stamp as found (ignored and empty if missing or corrupt)."""

    manifest: str | None = None
    """sha256 of the manifest on disk, if there is one."""

    @property
    def manifest_fresh(self) -> bool:
        """True when the manifest on disk would be written again with the same bytes."""
        return not self.stale and self.stamp.get("source") == self.source \
            and self.manifest is not None and self.stamp.get("manifest") == self.manifest


def plan(out: Path, editions: Iterable[str], provenance: Provenance) -> Plan:
    """Compare each requested edition's key and files with the stamp in ``out``."""
    editions = tuple(editions)
    common = {"python": platform.python_version(), "folio": code_hash(), "date": provenance.date}
    keys = {name: edition_key(name, provenance, common) for name in editions}
    stamp = read_stamp(out)
    recorded = stamp.get("editions", {})
    for name in editions:
        # An edition that carries others' files (the site's downloads) is keyed on their keys,
        # this build's or, for one not requested, its last build's: so it is made again
        # whenever one of them is, in this build or an earlier one.
        offered = {o: keys.get(o, recorded.get(o, {}).get("key")) for o in catalog.EDITIONS[name].offers}
        if offered:
            text = json.dumps({"own": keys[name], "offered": offered}, sort_keys=True)
            keys[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    stale = tuple(name for name in editions
                  if recorded.get(name, {}).get("key") != keys[name]
                  or not outputs_intact(out, recorded[name].get("outputs")))
    try:
        manifest = sha256((out / MANIFEST).read_bytes())
    except OSError:
        manifest = None
    return Plan(keys, stale, provenance.source, stamp, manifest)


def edition_key(name: str, provenance: Provenance, common: dict[str, str]) -> str:
    """sha256 of what shapes one edition: the input files and tools it uses, and the shared
    facts. Files and tools that only other editions declare are left out."""
    mine = set(catalog.reads(name))
    skip = tuple(sorted({p for e in catalog.EDITIONS.values() for p in e.inputs} - mine))
    files = {path: digest for path, digest in provenance.inputs.items() if not path.startswith(skip)}
    theirs = set(catalog.all_tools()) - set(catalog.uses(name))
    tools = {tool: version for tool, version in provenance.tools.items() if tool not in theirs}
    text = json.dumps({"edition": name, "files": files, "tools": tools, **common}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_hash() -> str:
    """sha256 of folio's own modules: a change to the pipeline invalidates every edition."""
    h = hashlib.sha256()
    package = Path(__file__).parents[1]  # folio/, from folio/pipeline/
    for path in sorted(package.rglob("*.py")):  # subpackages too
        h.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0"
                 + path.read_bytes() + b"\0")
    return h.hexdigest()


def outputs_intact(out: Path, outputs) -> bool:
    """True when every recorded output file is there with its recorded sha256 (and, for a
    folder edition, no file was added to it)."""
    if not isinstance(outputs, dict) or not outputs:
        return False
    for rel, record in outputs.items():
        path = out / rel
        try:
            if not isinstance(record, dict) or not path.is_file() \
                    or sha256(path.read_bytes()) != record.get("sha256"):
                return False
        except OSError:
            return False
    folders = {rel.split("/", 1)[0] for rel in outputs if "/" in rel}
    for folder in folders:
        found = {p.relative_to(out).as_posix() for p in (out / folder).rglob("*") if p.is_file()}
        if found != {rel for rel in outputs if rel.startswith(folder + "/")}:
            return False
    return True


def read_stamp(out: Path) -> dict:
    """The stamp in ``out``, or {} when it is missing, unreadable or not a stamp (its
    editions are then checked by :func:`outputs_intact` before anything is trusted)."""
    try:
        stamp = json.loads((out / ".cache" / STAMP).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stamp, dict) or stamp.get("format") != FORMAT \
            or not isinstance(stamp.get("editions"), dict):
        return {}
    stamp["editions"] = {name: entry for name, entry in stamp["editions"].items()
                         if isinstance(entry, dict) and isinstance(entry.get("key"), str)
                         and isinstance(entry.get("outputs"), dict)}
    return stamp


def recorded(plan_: Plan) -> dict[str, dict]:
    """The manifest records (path, size, sha256...) of the requested editions that are up to
    date, as the stamp keeps them: the manifest is rebuilt from them if it went missing."""
    return {rel: record for name, entry in plan_.stamp.get("editions", {}).items()
            if name in plan_.keys and name not in plan_.stale
            for rel, record in entry["outputs"].items()}


def stamp_bytes(plan_: Plan, records: dict[str, dict], built: dict[str, list[str]],
                manifest: bytes) -> bytes:
    """The new stamp: the editions just built with their keys and output hashes, the
    earlier entries of editions not requested this time, and the manifest's hash."""
    editions = {name: entry for name, entry in plan_.stamp.get("editions", {}).items()
                if name not in built}
    for name, paths in built.items():
        editions[name] = {"key": plan_.keys[name], "outputs": {p: records[p] for p in sorted(paths)}}
    stamp = {"format": FORMAT, "source": plan_.source, "editions": editions,
             "manifest": sha256(manifest)}
    return (json.dumps(stamp, indent=1, sort_keys=True) + "\n").encode("utf-8")
