"""A build's last stage: write the editions it made, then the manifest, then the stamp.

Nothing is written before every requested edition is made in memory; each file is
written atomically (``output.py``), the HTML folder swapped in whole. The manifest
keeps the records of the editions not made again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from folio.editions.base import Made
from folio.editions.catalog import NAMES
from folio.pipeline import incremental
from folio.pipeline.output import write_file, write_tree
from folio.pipeline.provenance import MANIFEST, Provenance, make_manifest, output_entry, read_manifest


def commit(out: Path, made: Mapping[str, Made], files: Mapping[str, tuple[str, ...]],
           plan: incremental.Plan, provenance: Provenance, epoch: int, requested: Iterable[str],
           say: Callable[[str], None]) -> dict[str, Path]:
    """Write the editions ``made`` (in the catalog's order) where ``files`` says (each
    edition's path first, then its other files), then the manifest and the stamp of the
    ``requested`` editions; returns where each was written (its first file)."""
    records = {**previous_records(out), **incremental.recorded(plan)}
    written = {}
    for name in (n for n in NAMES if n in made):
        first, *others = files[name]
        written[name] = _write(out, first, made[name], records)
        say(f"wrote {written[name]}")
        for rel in others:
            say(f"wrote {_write(out, rel, made[name].also[rel], records)}")
    manifest = make_manifest(provenance, epoch, list(records.values()))
    write_if_changed(out / MANIFEST, manifest)
    owned = {e: [r for r in records if any(_inside(r, rel) for rel in files[e])] for e in requested}
    write_if_changed(out / ".cache" / incremental.STAMP,
                     incremental.stamp_bytes(plan, records, owned, manifest))
    return written


def _write(out: Path, rel: str, made: Made, records: dict[str, dict[str, Any]]) -> Path:
    """Write one edition at ``out/rel``; its manifest records replace those it had."""
    if not isinstance(made.data, dict):
        records[rel] = output_entry(rel, made.data, **({} if made.pages is None else {"pages": made.pages}))
        return write_file(out / rel, made.data)
    for old in [r for r in records if _inside(r, rel)]:  # a file the site no longer has
        del records[old]
    records.update({f"{rel}/{f}": output_entry(f"{rel}/{f}", d) for f, d in made.data.items()})
    return write_tree(out / rel, made.data)


def _inside(record: str, rel: str) -> bool:
    """True if a manifest record is the edition at ``rel`` or a file in its folder."""
    return record == rel or record.startswith(f"{rel}/")


def recorded_paths(out: Path, plan: incremental.Plan) -> dict[str, Path]:
    """Where the editions recorded in the stamp are (for those not made again)."""
    found = {}
    for name, entry in plan.stamp.get("editions", {}).items():
        # An edition's other files are named after its first, longer (x-print-cover.pdf
        # beside x-print.pdf): the shortest record is the one the edition is known by.
        first = sorted(entry.get("outputs", {}), key=lambda rel: (len(rel), rel))[:1]
        if first:
            found[name] = out / first[0].split("/", 1)[0]  # a folder edition's folder
    return found


def write_if_changed(path: Path, data: bytes) -> None:
    """Write atomically, unless the file already holds these bytes (its mtime then stays)."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_file(path, data)


def previous_records(out: Path) -> dict[str, dict[str, Any]]:
    """Output records of the last manifest whose files are still there, unchanged in name."""
    path = out / MANIFEST
    if not path.is_file():
        return {}
    try:
        outputs = read_manifest(path)["outputs"]
    except (ValueError, KeyError):
        return {}
    return {o["path"]: o for o in outputs if (out / o["path"]).is_file()}
