"""Which characters each fallback font draws, worked out once, when scripts/setup fetches it.

A fallback's coverage depends only on its file, and the file is pinned by its sha256
(``fonts.txt``). Decompiling the cmaps of the Noto fonts took a build 0.3 s of a cold
build's parent (the CJK collections' 45,000 characters above all), on every build,
though nothing in them ever changes. ``scripts/setup`` writes ``coverage.txt`` beside
``fonts.txt`` (:func:`write`): one line per face, its file's sha256, its name, its
index in a collection, and the ranges of code points it maps to a glyph. A build reads
it (:func:`covered`, :func:`points`) and trusts a line only if its sha256 is the one ``fonts.txt`` pins
for that file today; a missing or stale line is no error: ``fallback.cmap`` decompiles
the font as it always did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

#: The file, beside fonts.txt in the fallback folder.
NAME = "coverage.txt"


def ranges(points: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted code points as (first, last) runs."""
    runs: list[list[int]] = []
    for p in sorted(set(points)):
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return [(a, b) for a, b in runs]


def write(folder: Path, pins: dict[str, str]) -> Path:
    """Write ``folder/coverage.txt`` for every font of ``pins`` (name -> sha256) present in
    ``folder``, each face of a collection on its own line; returns its path."""
    from fontTools.ttLib import TTCollection, TTFont

    lines = ["# The code points each fallback face maps to a glyph (folio.editions.fallback_coverage),",
             "# written by scripts/setup from the fonts pinned in fonts.txt. One line a face:",
             "#   sha256  name  index  first-last,first-last,... (hexadecimal)"]
    for name, digest in sorted(pins.items()):
        path = folder / name
        if not path.is_file() or _sha256(path) != digest:
            continue  # not fetched, or not the pinned file: the build decompiles it, if at all
        count = len(TTCollection(path, lazy=True).fonts) if name.endswith(".ttc") else 1
        for index in range(count):
            font = TTFont(path, fontNumber=index, lazy=True)
            runs = ranges(font.getBestCmap() or {})
            text = ",".join(f"{a:X}" if a == b else f"{a:X}-{b:X}" for a, b in runs)
            lines.append(f"{digest}  {name}  {index}  {text}")
    out = folder / NAME
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out


def covered(folder: Path, pins: dict[str, str]) -> dict[tuple[str, int], str]:
    """The coverage.txt of ``folder``, by (file name, face index), each face's runs as
    written (:func:`points` reads them): only the lines whose sha256 is the file's pin in
    ``pins``; {} when there is no coverage.txt."""
    path = folder / NAME
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split()
        if line.startswith("#") or len(parts) not in (3, 4) or pins.get(parts[1]) != parts[0]:
            continue
        out[parts[1], int(parts[2])] = parts[3] if len(parts) == 4 else ""
    return out


def points(runs: str) -> frozenset[int]:
    """The code points of a face's runs in coverage.txt (``20-7E,A0-17F``)."""
    out: set[int] = set()
    for run in filter(None, runs.split(",")):
        first, _, last = run.partition("-")
        out.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    """Write the coverage of the fallback fonts scripts/setup fetched (``python -m
    folio.editions.fallback_coverage``)."""
    from folio.editions import fallback

    print(f"setup: fallback coverage in {write(fallback.FOLDER, fallback.pins())}")


if __name__ == "__main__":
    main()
