"""``verify``: rebuild from the same sources elsewhere and compare, byte for byte.

Two comparisons: the files in ``build/`` against ``build/manifest.json`` (was
an edition altered after the build?), and a fresh build in a temporary folder
against that manifest (do these sources still give these bytes?). For an EPUB
or an HTML edition that differs, it names the inner file that differs.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from folio.pipeline.provenance import MANIFEST, read_manifest, sha256


def verify(project_dir: Path | str, build_dir: Path | str | None = None, rebuild=None) -> list[str]:
    """Every difference found, as a line each; an empty list means the build is verified."""
    from folio.pipeline.build import build  # late: build imports this module's siblings

    root = Path(project_dir).resolve()
    out = Path(build_dir) if build_dir else root / "build"
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        return [f"{manifest_path}: no manifest; run 'invoke build' first"]
    recorded = {o["path"]: o for o in read_manifest(manifest_path)["outputs"]}
    problems = [f"{out / rel}: {why}" for rel, why in _check_files(out, recorded)]
    with tempfile.TemporaryDirectory(prefix="folio-verify-") as tmp:
        (rebuild or build)(root, out_dir=tmp)
        fresh_manifest = read_manifest(Path(tmp) / MANIFEST)
        fresh = {o["path"]: o for o in fresh_manifest["outputs"]}
        for rel in sorted(set(recorded) | set(fresh)):
            if rel not in fresh:
                problems.append(f"{rel}: in the manifest, but the sources no longer make it")
            elif rel not in recorded:
                problems.append(f"{rel}: made by the sources, but not in the manifest")
            elif fresh[rel]["sha256"] != recorded[rel]["sha256"]:
                detail = _inner_difference(out / rel, Path(tmp) / rel)
                problems.append(f"{rel}: a rebuild gives different bytes{detail}")
        if (Path(tmp) / MANIFEST).read_bytes() != manifest_path.read_bytes() and not problems:
            problems.append(f"{MANIFEST}: a rebuild records different sources or tools")
    return problems


def _check_files(out: Path, recorded: dict) -> list[tuple[str, str]]:
    """Files of build/ that no longer match the manifest."""
    found = []
    for rel, entry in sorted(recorded.items()):
        path = out / rel
        if not path.is_file():
            found.append((rel, "missing"))
        elif sha256(path.read_bytes()) != entry["sha256"]:
            found.append((rel, "altered since the build (sha256 differs from the manifest)"))
    return found


def _inner_difference(old: Path, new: Path) -> str:
    """For a zip (EPUB), which inner files differ."""
    if not old.is_file() or old.suffix != ".epub":
        return ""
    try:
        a, b = _members(old.read_bytes()), _members(new.read_bytes())
    except zipfile.BadZipFile:
        return " (not a valid zip)"
    names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
    return f" (inner files: {', '.join(names)})" if names else " (same inner files; zip metadata differs)"


def _members(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: sha256(zf.read(name)) for name in zf.namelist()}
