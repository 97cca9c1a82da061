"""The printer's files: PDF/X-4 interior and cover spread, and the preflight that checks them.

Each preflight rule is broken on purpose in a copy of the real report's print files, and the
preflight must name the rule and the page. The expectations (sizes, counts) come from the
profile's numbers read here with yaml, not from folio's own arithmetic.
"""

from __future__ import annotations

import shutil
import subprocess

import pikepdf
import pytest
import yaml

from folio.check.press import preflight
from folio.editions.pdf.press import Press
from folio.inputs.load import load_project

INCH = 72.0


def _files(built):
    slug = yaml.safe_load((built.root / "data" / "publication.yaml").read_text())["slug"]
    return built.root / "build" / f"{slug}-print.pdf", built.root / "build" / f"{slug}-print-cover.pdf"


def _press(built) -> Press:
    return Press.of(load_project(built.root).publication.press)


def _rules(findings) -> set[tuple[str, str]]:
    return {(where, rule) for where, rule, _ in findings}


def _draw(pdf: pikepdf.Pdf, index: int, ops: bytes, **resources) -> None:
    """Draw ``ops`` on a page, after (and outside) WeasyPrint's own graphics state."""
    page = pdf.pages[index]
    for kind, items in resources.items():
        for name, obj in items.items():
            page.add_resource(obj, pikepdf.Name("/" + kind), pikepdf.Name("/" + name), replace_existing=True)
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ " + ops), prepend=False)


@pytest.fixture
def broken(real, tmp_path):
    """A copy of the real report's print interior, and a function to break it and preflight it."""
    interior, _ = _files(real)
    press = _press(real)

    def check(change) -> list[tuple[str, str, str]]:
        path = tmp_path / "broken.pdf"
        with pikepdf.open(interior) as pdf:
            change(pdf)
            pdf.save(path)
        return preflight(path, press)

    return check


def test_the_print_files_pass_the_preflight(real):
    interior, cover = _files(real)
    press = _press(real)
    assert preflight(interior, press) == []
    with pikepdf.open(interior) as pdf:
        pages = len(pdf.pages)
    assert preflight(cover, press, interior_pages=pages) == []


def test_pdfinfo_shows_pdfx4(real):
    for path in _files(real):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert "PDF subtype:    PDF/X-4" in info
        assert "ISO 15930-7" in info


def test_interior_has_no_cover_and_an_even_page_count(real):
    interior, _ = _files(real)
    data = yaml.safe_load((real.root / "data" / "publication.yaml").read_text())
    with pikepdf.open(interior) as pdf:
        assert len(pdf.pages) % data["print"]["page_multiple"] == 0
        first = pdf.pages[0]
        assert "/BleedBox" in first.obj
        text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(interior), "-"],
                              capture_output=True, text=True, check=True).stdout
        # Page 1 is the half-title (the title alone), not the cover (publisher, year...).
        assert data["title"] in " ".join(text.split())
        assert str(load_project(real.root).publication.year) not in text  # year: date's, if not given


def test_boxes_follow_the_profile(real):
    interior, cover = _files(real)
    data = yaml.safe_load((real.root / "data" / "publication.yaml").read_text())["print"]
    assert data["trim"] == {"width": "6in", "height": "9in"} and data["bleed"] == "0.125in"
    with pikepdf.open(interior) as pdf:
        pages = len(pdf.pages)
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            assert trim[2] - trim[0] == pytest.approx(6 * INCH) and trim[3] - trim[1] == pytest.approx(9 * INCH)
            assert bleed[0] == pytest.approx(trim[0] - 9) and bleed[3] == pytest.approx(trim[3] + 9)
            assert [float(v) for v in page.obj.MediaBox] == pytest.approx(bleed)  # marks: none
    spine = pages / data["paper"]["pages_per_inch"] * INCH
    with pikepdf.open(cover) as pdf:
        media = [float(v) for v in pdf.pages[0].obj.MediaBox]
        assert media[2] - media[0] == pytest.approx(2 * 6 * INCH + spine + 2 * 9, abs=0.01)


def test_print_files_are_cmyk_with_text_in_black_ink(real):
    interior, _ = _files(real)
    with pikepdf.open(interior) as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFX" and int(intent.DestOutputProfile.N) == 4
        fills = set()
        for instruction in pikepdf.parse_content_stream(pdf.pages[10]):
            if str(instruction.operator) == "scn":
                fills.add(tuple(round(float(v), 3) for v in instruction.operands))
        assert (0.0, 0.0, 0.0, 1.0) in fills  # body text: K only


def test_rgb_text_fails_naming_its_page(broken):
    findings = broken(lambda pdf: _draw(pdf, 4, b"BT 1 0 0 rg ET"))
    assert ("page 5", "no-rgb") in _rules(findings)


def test_a_mark_inside_the_bleed_fails(broken):
    # A hairline in the left bleed strip (x from -8 to -2 pt: outside the trim, inside the bleed).
    findings = broken(lambda pdf: _draw(pdf, 2, b"q 0 0 0 1 K 0.5 w -8 300 m -2 300 l S Q"))
    assert ("page 3", "marks-outside-bleed") in _rules(findings)


def test_an_odd_page_count_fails(broken, real):
    def drop_last(pdf):
        del pdf.pages[-1]
    findings = broken(drop_last)
    with pikepdf.open(_files(real)[0]) as pdf:
        last = len(pdf.pages) - 1  # the new last page, after the one dropped
    assert _rules(findings) == {(f"page {last}", "page-count")}


def test_a_wrong_spine_width_fails(real):
    interior, cover = _files(real)
    with pikepdf.open(interior) as pdf:
        pages = len(pdf.pages)
    # The same cover for an interior 100 pages longer: its spine is too narrow by 100/444 in.
    findings = preflight(cover, _press(real), interior_pages=pages + 100)
    assert _rules(findings) == {("page 1", "spread-width")}


def test_a_72_ppi_image_fails(broken):
    image = None

    def add_image(pdf):
        nonlocal image
        image = pdf.make_stream(bytes(72 * 72 * 4), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                                Width=72, Height=72, ColorSpace=pikepdf.Name.DeviceCMYK, BitsPerComponent=8)
        _draw(pdf, 6, b"q 72 0 0 72 100 100 cm /Low Do Q", XObject={"Low": image})
    findings = broken(add_image)
    assert ("page 7", "image-resolution") in _rules(findings)
    assert any("72 ppi" in message for _, _, message in findings)


def test_crop_marks_lie_outside_the_bleed(real, tmp_path):
    """marks: crop grows the sheet by the slug and draws the marks there: the preflight,
    told of the slug, passes; the marks lie beyond the BleedBox."""
    root = tmp_path / "marked"
    shutil.copytree(real.root, root, ignore=shutil.ignore_patterns("build"))
    path = root / "data" / "publication.yaml"
    path.write_text(path.read_text().replace("marks: none", "marks: crop"))
    import folio
    folio.build(root, ("print",))
    press = Press.of(load_project(root).publication.press)
    assert press.marks == "crop" and press.slug > 0
    interior = root / "build" / _files(real)[0].name
    assert preflight(interior, press) == []
    with pikepdf.open(interior) as pdf:
        page = pdf.pages[0]
        media = [float(v) for v in page.obj.MediaBox]
        bleed = [float(v) for v in page.obj.BleedBox]
        assert media[0] == pytest.approx(bleed[0] - press.slug)


def _cover_text(path) -> str:
    """The cover's text without spaces (its capitals are letter-spaced)."""
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return "".join(text.split())


def test_spine_text_and_barcode_only_when_the_profile_allows(real, tmp_path):
    """The default spine (26-odd pages of white paper, 0.06 in) is too narrow for text, and no
    ISBN is given, so no barcode; a thick paper and an ISBN give both, and still pass."""
    _, cover = _files(real)
    assert _cover_text(cover).count("MIGS") == 1  # the front cover's
    assert "ISBN" not in _cover_text(cover)
    root = tmp_path / "thick"
    shutil.copytree(real.root, root, ignore=shutil.ignore_patterns("build"))
    path = root / "data" / "publication.yaml"
    path.write_text(path.read_text().replace("pages_per_inch: 444", "pages_per_inch: 50")
                    .replace("  page_multiple: 2\n", '  page_multiple: 2\n  isbn: "9780000000002"\n'))
    import folio
    folio.build(root, ("print",))
    interior, cover = (root / "build" / p.name for p in _files(real))
    text = _cover_text(cover)
    assert text.count("MIGS") == 2 and "ISBN9780000000002" in text
    press = Press.of(load_project(root).publication.press)
    with pikepdf.open(interior) as pdf:
        pages = len(pdf.pages)
    assert press.spine(pages) > press.spine_text_min
    assert preflight(cover, press, interior_pages=pages) == []
