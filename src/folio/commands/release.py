"""``release``: the editions under versioned names in ``dist/``, with checksums and an OPDS feed.

``dist/`` receives ``<slug>-<version>.pdf``, ``.epub`` and ``-html.zip`` (and
``-print.pdf`` and ``-print-cover.pdf``, the printer's files, when built), the store cover as
``-cover.png`` (page 1 of the PDF, 2560 px high) with a ``-thumbnail.png``, ``SHA256SUMS``, the build's
``manifest.json`` and ``opds.xml``, an OPDS 1.2 acquisition feed that reading
apps and library systems can read. The feed offers the reading editions (not
the printer's file) and shows the cover. Everything is made from ``build/`` as
it is, and is reproducible: the zip has fixed times and order, the images are
taken from the EPUB or scaled with a fixed filter and carry no metadata, the
feed's dates come from the build's source date.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from lxml import etree
from PIL import Image

from folio.editions.catalog import files, paths
from folio.editions.pdf.cover import page_png, png_bytes
from folio.errors import BuildError
from folio.inputs.load import load_project
from folio.pipeline.output import add_to_zip, write_file
from folio.pipeline.provenance import MANIFEST, input_files, read_manifest, sha256

ATOM = "http://www.w3.org/2005/Atom"
NSMAP = {None: ATOM, "dc": "http://purl.org/dc/terms/", "opds": "http://opds-spec.org/2010/catalog"}
ACQUISITION = "http://opds-spec.org/acquisition"
MEDIA = {".pdf": "application/pdf", ".epub": "application/epub+zip", ".zip": "application/zip"}
IMAGE = "http://opds-spec.org/image"
THUMBNAIL = "http://opds-spec.org/image/thumbnail"
#: Pixels on the long side of the store cover: retailers ask for 1600 x 2560 at least.
STORE_COVER_LONG_SIDE = 2560
#: Pixels on the long side of the feed's thumbnail.
THUMBNAIL_LONG_SIDE = 300


def release(project_dir: Path | str, build_dir: Path | str | None = None,
            dist_dir: Path | str | None = None) -> list[Path]:
    """Copy the built editions into dist/ with versioned names; return the files written."""
    project = load_project(project_dir)
    pub = project.publication
    out = Path(build_dir) if build_dir else project.root / "build"
    dist = Path(dist_dir) if dist_dir else project.root / "dist"
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise BuildError("no manifest: run 'invoke build' before 'invoke release'", str(out))
    manifest = read_manifest(manifest_path)
    _check_fresh(project.root, manifest, out)
    stem, built = f"{pub.slug}-{pub.version}", paths(pub.slug)
    editions = {
        f"{stem}.pdf": _read(out / built["pdf"]),
        f"{stem}.epub": _read(out / built["epub"]),
        f"{stem}-html.zip": zip_tree(out / built["html"], f"{stem}-html"),
    }
    # The store cover is page 1 of the PDF at retail size; the EPUB's own cover is smaller,
    # to keep the ebook light.
    cover = page_png(editions[f"{stem}.pdf"], 0, long_side=STORE_COVER_LONG_SIDE)
    images = {f"{stem}-cover.png": cover, f"{stem}-thumbnail.png": thumbnail(cover)}
    printer, spread = files(pub.slug)["print"]
    extra = {f"{stem}-print.pdf": _read(out / printer)} if _recorded(manifest, printer) else {}
    if _recorded(manifest, spread):  # the printer's second file: the cover spread
        extra[f"{stem}-print-cover.pdf"] = _read(out / spread)
    released = {**editions, **extra, **images}
    written = [write_file(dist / name, data) for name, data in released.items()]
    written.append(write_file(dist / MANIFEST, manifest_path.read_bytes()))
    updated = dt.datetime.fromtimestamp(manifest["source_date_epoch"], tz=dt.UTC)
    written.append(write_file(dist / "opds.xml", opds_feed(project, editions, updated, images)))
    sums = "".join(f"{sha256(p.read_bytes())}  {p.name}\n" for p in sorted(written))
    written.append(write_file(dist / "SHA256SUMS", sums.encode("ascii")))
    return written


def _check_fresh(root: Path, manifest: dict, out: Path) -> None:
    """Refuse to release editions built from other sources than the project's (an edit
    since the last build), or that changed since they were built, naming each difference."""
    built, now = manifest.get("inputs", {}), input_files(root)
    changed = sorted(rel for rel in built.keys() | now.keys() if built.get(rel) != now.get(rel))
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise BuildError(f"the editions are stale: {shown} changed since the last build;"
                         " run 'invoke build' before 'invoke release'", "build/" + MANIFEST)
    for entry in manifest.get("outputs", ()):
        path = out / entry["path"]
        if path.is_file() and sha256(path.read_bytes()) != entry["sha256"]:
            raise BuildError(f"build/{entry['path']} changed since it was built; run 'invoke"
                             " build' before 'invoke release'", "build/" + MANIFEST)


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise BuildError("edition missing: run 'invoke build' before 'invoke release'", str(path))
    return path.read_bytes()


def _recorded(manifest: dict, name: str) -> bool:
    return any(entry["path"] == name for entry in manifest.get("outputs", ()))


def thumbnail(png: bytes) -> bytes:
    """The cover scaled to THUMBNAIL_LONG_SIDE pixels on its long side (a fixed filter: same bytes)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = THUMBNAIL_LONG_SIDE / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return png_bytes(image.resize(size, Image.Resampling.LANCZOS))


def zip_tree(folder: Path, prefix: str) -> bytes:
    """A folder as a zip with fixed times, modes and order, under one top folder."""
    if not folder.is_dir():
        raise BuildError("edition missing: run 'invoke build' before 'invoke release'", str(folder))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                add_to_zip(zf, f"{prefix}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    return out.getvalue()


def opds_feed(project, editions: dict[str, bytes], updated: dt.datetime,
              images: dict[str, bytes] | None = None) -> bytes:
    """An OPDS 1.2 acquisition feed with one entry: the report, its cover and its editions.

    ``images`` maps the cover's file name, then its thumbnail's, to their bytes.
    """
    pub = project.publication
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=NSMAP)
    _sub(feed, "id", f"{pub.identifier}:opds")
    _sub(feed, "title", f"{pub.publisher}: {pub.title}")
    _sub(feed, "updated", stamp)
    _link(feed, "self", "opds.xml", "application/atom+xml;profile=opds-catalog;kind=acquisition")
    _link(feed, "start", "opds.xml", "application/atom+xml;profile=opds-catalog;kind=acquisition")
    author = _sub(feed, "author")
    _sub(author, "name", pub.publisher)
    entry = _sub(feed, "entry")
    _sub(entry, "title", pub.full_title)
    _sub(entry, "id", pub.identifier)
    _sub(entry, "updated", stamp)
    for name, relator in project.credits:
        if relator == "aut":
            _sub(_sub(entry, "author"), "name", name)
    _sub(entry, "{http://purl.org/dc/terms/}language", pub.language)
    _sub(entry, "{http://purl.org/dc/terms/}publisher", pub.publisher)
    _sub(entry, "{http://purl.org/dc/terms/}issued", pub.date.isoformat())
    if pub.rights:
        _sub(entry, "rights", pub.rights)
    for subject in pub.subjects:
        _sub(entry, "category", term=subject, label=subject)
    if pub.description:
        _sub(entry, "summary", " ".join(pub.description.split()))
    for rel, name in zip((IMAGE, THUMBNAIL), images or {}, strict=False):  # no images: no links
        _link(entry, rel, name, "image/png")
    for name, data in editions.items():
        link = _link(entry, ACQUISITION, name, MEDIA[name[name.rfind("."):]])
        link.set("length", str(len(data)))
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _sub(parent, tag: str, text: str | None = None, **attrs):
    el = etree.SubElement(parent, tag if tag.startswith("{") else f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _link(parent, rel: str, href: str, media_type: str):
    return _sub(parent, "link", rel=rel, href=href, type=media_type)
