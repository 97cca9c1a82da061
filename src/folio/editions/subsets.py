"""Font subsets: a font cut with HarfBuzz's subsetter to the glyphs a text needs, every
OpenType feature and name kept, side by side in threads, and kept for the next build.

Split from ``editions/fonts.py``, which finds what each face of an edition shows and
imports these names from here. HarfBuzz (the ``uharfbuzz`` wheel, which carries its own
pinned HarfBuzz, so the bytes do not depend on the machine's) cuts a face in a few
milliseconds where fontTools' subsetter took 0.2 to 1 s (the report's 7 faces: 0.02 against
2.8 CPU-s), with the same glyphs, cmap and GSUB/GPOS features; fontTools then only packs a
web font as WOFF2 (brotli). The output depends only on its input: HarfBuzz copies the
font's ``head`` dates, fontTools is told not to stamp it with the clock, and brotli is
deterministic.
"""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import fontTools
import uharfbuzz as hb

from folio.pipeline.output import write_file

#: Subsets made in this process, by (font digest, characters, flavor): a preview that
#: rebuilds the site on every save cuts each font again only when its characters change.
_MADE: dict[tuple[str, str, str | None], bytes] = {}
#: How many subsets to keep (a few editions' faces).
_KEEP = 48


def subset_font(data: bytes, text: str, flavor: str | None = None,
                cache: Path | None = None) -> bytes:
    """A font cut to the glyphs ``text`` needs, with all its OpenType features and names.

    ``flavor`` is None (the font's own format, OTF or TTF) or ``"woff2"``.
    Reusable for any font and text: the same input gives the same bytes. With a
    ``cache`` folder (the build's ``.cache/fonts``) a subset made by an earlier
    build is read back instead of cut again (a few seconds on a slow machine).
    """
    return _cut([_of_bytes(data, text, flavor)], cache)[0]


def subset_file(path: Path, index: int, digest: str, text: str, flavor: str | None = None,
                cache: Path | None = None) -> bytes:
    """:func:`subset_font` of face ``index`` of a font file (a collection's, say) whose
    sha256 is ``digest``: the file is read only when no subset of it is cached."""
    return subset_files([(path, index, digest, text)], flavor, cache)[0]


def subset_files(files: Iterable[tuple[Path, int, str, str]], flavor: str | None = None,
                 cache: Path | None = None) -> list[bytes]:
    """:func:`subset_file` of each (path, index, digest, text), cut side by side."""
    return _cut([((f"{digest}:{index}", "".join(sorted(set(text))), flavor),
                  partial(open_face, path, index))
                 for path, index, digest, text in files], cache)


def open_face(path: Path, index: int = 0) -> hb.Face:
    """A font file's face (of a collection, its ``index``), mapped, not read: a CJK
    collection is 20 MB, of which a subset or a cmap reads a small part."""
    return hb.Face(hb.Blob.from_file_path(path), index)


def _of_bytes(data: bytes, text: str, flavor: str | None) -> tuple[tuple[str, str, str | None], Callable[[], hb.Face]]:
    return ((hashlib.sha256(data).hexdigest(), "".join(sorted(set(text))), flavor),
            lambda: hb.Face(hb.Blob(data)))


#: What a cached subset was cut with: a new HarfBuzz or fontTools (WOFF2) cuts it again.
TOOLS = f"harfbuzz {hb.version_string()}, uharfbuzz {hb.__version__}, fontTools {fontTools.version}"


#: Threads that cut fonts side by side: HarfBuzz and WOFF2's brotli (most of a web font's
#: time) let go of the GIL, so one face compresses while the next is cut.
THREADS = 2


def _cut(requests: list[tuple[tuple[str, str, str | None], Callable[[], hb.Face]]],
         cache: Path | None) -> list[bytes]:
    """Each (key, loader) cut to its key's text and flavor, or read back from this process's
    subsets or the ``cache`` folder; what is cut is kept in both."""
    out: list[bytes | None] = [_MADE.get(key) for key, _ in requests]
    stored = [None if cache is None else cache / (
        hashlib.sha256(repr((*key, TOOLS)).encode("utf-8")).hexdigest()
        + f".{key[2] or 'font'}") for key, _ in requests]
    for i, path in enumerate(stored):
        if out[i] is None and path is not None and path.is_file():
            out[i] = path.read_bytes()
    todo = [i for i, made in enumerate(out) if made is None]

    def cut(i: int) -> bytes:
        (_, text, flavor), load = requests[i]
        return _subset(load(), text, flavor)

    logger = logging.getLogger("fontTools")
    level = logger.level
    logger.setLevel(logging.ERROR)  # fontTools warns about the bundle's odd glyph widths
    try:
        if len(todo) > 1:
            with ThreadPoolExecutor(THREADS, thread_name_prefix="folio-fonts") as pool:
                made = list(pool.map(cut, todo))
        else:
            made = [cut(i) for i in todo]
    finally:
        logger.setLevel(level)
    for i, data in zip(todo, made, strict=True):
        out[i] = data
        path = stored[i]
        if path is not None:
            write_file(path, data)
    done = [data for data in out if data is not None]
    for (key, _), data in zip(requests, done, strict=True):
        if key not in _MADE and len(_MADE) >= _KEEP:
            _MADE.pop(next(iter(_MADE)))
        _MADE[key] = data
    return done


def _subset(face: hb.Face, text: str, flavor: str | None) -> bytes:
    """``face`` cut to the glyphs ``text`` needs and those its features reach from them.

    As fontTools' subsetter was told before (``layout_features``, ``name_IDs`` and
    ``name_languages`` all ``*``, ``notdef_outline``, no glyph names, FFTM dropped): every
    layout feature, name and language is kept; HarfBuzz keeps the hinting and drops the
    tables it does not subset (DSIG, the bitmap and Graphite tables, JSTF, AAT, ``kern``).
    """
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(ord(c) for c in text)
    for kept in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.NAME_ID,
                 hb.SubsetInputSets.NAME_LANG_ID):
        everything = wanted.sets(kept)  # the defaults (HarfBuzz's common features, English
        everything.clear()             # names 0-6) cleared, then inverted: all of them
        everything.invert()
    wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).add(int.from_bytes(b"FFTM", "big"))
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    cut = hb.subset(face, wanted)
    if cut is None:
        raise ValueError("HarfBuzz could not subset the font")
    data = bytes(cut.blob.data)
    if flavor is None:
        return data
    # Imported here: a build whose subsets are all cached (an edit's) does not load it.
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    font.flavor = flavor
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_fonts(fonts: Mapping[str, bytes], text: str | Mapping[str, str],
                 flavor: str | None = None, cache: Path | None = None) -> dict[str, bytes]:
    """Each font cut to ``text`` (one text for all, or a text per font name), side by side.

    Keys are kept, with the extension changed to ``.woff2`` for that flavor.
    """
    names = sorted(fonts)
    made = _cut([_of_bytes(fonts[name], text if isinstance(text, str) else text.get(name, ""),
                           flavor) for name in names], cache)
    return {(posixpath.splitext(name)[0] + ".woff2" if flavor == "woff2" else name): data
            for name, data in zip(names, made, strict=True)}
