"""Bad and hostile input (issue 7): each case gives its exact located line, exit code 1, no
traceback, and leaves the last good editions byte for byte as they were.

test_errors.py covers a broken YAML file, an unknown key, a missing chapter, an undefined
template variable, a duplicate id across chapters and a stylesheet reading outside the
project; the other cases of the issue are here.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from folio.content.convert import make_pandoc
from folio.inputs.load import load_project
from helpers import APPENDED, PYTHON, Case, assemble_tiny, assert_refused, break_copy, outputs, run_folio

CASES = {
    "empty YAML file": Case(
        "data/team.yaml", "", "# nothing yet\n",
        "data/team.yaml:1: the file is empty"),
    "YAML file with a list at its top": Case(
        "data/team.yaml", "", "- Authors\n- Editor\n",
        "data/team.yaml:1: expected a mapping of keys at the top, found a list"),
    "missing required field": Case(
        "data/publication.yaml", "publisher: The Institute for Small Reports\n", "",
        "data/publication.yaml:1: 'publisher' is required"),
    "empty manuscript": Case(
        "data/contents.yaml", "  - {source: chapter1.md, type: chapter}\n"
        "  - {source: chapter2.md, type: chapter}\n", "  []\n",
        "data/contents.yaml: the manuscript is empty: 'body' lists no chapter"),
    "empty manuscript, nothing under body:": Case(
        "data/contents.yaml", "  - {source: chapter1.md, type: chapter}\n"
        "  - {source: chapter2.md, type: chapter}\n", "",
        "data/contents.yaml: the manuscript is empty: 'body' lists no chapter"),
    "template syntax error": Case(
        "templates/sections/title-page.html", '  <p class="year">', '  {% if %}<p class="year">',
        "templates/sections/title-page.html:7: template syntax error:"
        " Expected an expression, got 'end of statement block'"),
    "missing image": Case(
        "manuscript/chapter2.md", "img/red-square.png", "img/blue-square.png",
        "manuscript/chapter2.md:7: image not found: 'img/blue-square.png'"),
    "image as a file: URL": Case(
        "manuscript/chapter2.md", "img/red-square.png", "file:///etc/passwd",
        "manuscript/chapter2.md:7: image 'file:///etc/passwd' must be a relative path inside"
        " the project"),
    "image on http": Case(
        "manuscript/chapter2.md", "img/red-square.png", "http://example.com/red.png",
        "manuscript/chapter2.md:7: image 'http://example.com/red.png' is on the network, which"
        " the build never reads: save it inside the project and give its relative path"),
    "image on https": Case(
        "manuscript/chapter2.md", "img/red-square.png", "https://example.com/red.png",
        "manuscript/chapter2.md:7: image 'https://example.com/red.png' is on the network, which"
        " the build never reads: save it inside the project and give its relative path"),
    "image at an absolute path": Case(
        "manuscript/chapter2.md", "img/red-square.png", "/etc/passwd",
        "manuscript/chapter2.md:7: image '/etc/passwd' must be a relative path inside the project"),
    "image ../ out of the project": Case(
        "manuscript/chapter2.md", "img/red-square.png", "../../../../../../../../etc/passwd",
        "manuscript/chapter2.md:7: image '../../../../../../../../etc/passwd' lies outside the"
        " project"),
    "link as a file: URL": Case(
        "manuscript/chapter2.md", "(#survey-method)", "(file:///etc/passwd)",
        "manuscript/chapter2.md:3: a link to 'file:///etc/passwd' is not allowed:"
        " a file: URL reads outside the project"),
    "link to an absolute path": Case(
        "manuscript/chapter2.md", "(#survey-method)", "(/etc/passwd)",
        "manuscript/chapter2.md:3: link to a file '/etc/passwd': link to a section with #id"
        " instead"),
    "link ../ out of the project": Case(
        "manuscript/chapter2.md", "(#survey-method)", "(../../etc/passwd)",
        "manuscript/chapter2.md:3: link to a file '../../etc/passwd': link to a section with #id"
        " instead"),
    "chapter ../ out of the project": Case(
        "data/contents.yaml", "chapter2.md", "../../../../etc/passwd",
        "data/contents.yaml:6: '../../../../etc/passwd' must be a path inside manuscript/"),
    "template including a file outside": Case(
        "templates/sections/title-page.html", '  <p class="year">',
        '  {% include "../../../../../etc/passwd" %}<p class="year">',
        "templates/sections/title-page.html: template not found:"
        " templates/../../../../../etc/passwd"),
    "YAML alias (a billion laughs needs them)": Case(
        "data/team.yaml", "      - name: Priya Raghunathan\n",
        "      - &who {name: Priya Raghunathan}\n      - *who\n",
        "data/team.yaml:11: anchors and aliases (&name, *name) are not supported:"
        " write the value out"),
    "control character in a YAML string": Case(
        "data/publication.yaml", "title: A Tiny Report", 'title: "A Tiny\\x1bReport"',
        "data/publication.yaml:1: the character U+001B is not allowed in text"),
    "control character in a chapter": Case(
        "manuscript/chapter2.md", "each site was scored once", "each site was scored\x0conce",
        "manuscript/chapter2.md:3: the character U+000C is not allowed in text"),
}

#: Raw HTML in a chapter: refused, located, whatever the edition.
RAW_HTML = {
    "script": ("<script>alert('hi')</script>",
               "raw HTML <script> is not allowed: it runs code"),
    "event handler": ('Click <span onclick="alert(1)">here</span>.',
                      "raw HTML attribute 'onclick' is not allowed: event handlers run code"),
    "event handler in pandoc's attribute syntax": (
        "[Click]{onmouseover=\"alert(1)\"}",
        "raw HTML attribute 'onmouseover' is not allowed: event handlers run code"),
    "javascript: link": ("[Click](javascript:alert(1))",
                         "a 'javascript:' URL is not allowed: it runs code or hides a document"),
    "javascript: link hidden by a tab and case": (
        '<a href="JaVa&#9;Script:alert(1)">Click</a>',
        "a 'javascript:' URL is not allowed: it runs code or hides a document"),
    "vbscript: link": ('<a href="vbscript:msgbox(1)">Click</a>',
                       "a 'vbscript:' URL is not allowed: it runs code or hides a document"),
    "data:text/html link": ("[Click](data:text/html;base64,PHNjcmlwdD4=)",
                            "a 'data:' URL is not allowed: it runs code or hides a document"),
    "iframe": ('<iframe src="https://example.com/"></iframe>',
               "raw HTML <iframe> is not allowed: it embeds another document"),
    "object": ('<object data="file:///etc/passwd"></object>',
               "raw HTML <object> is not allowed: it embeds another document"),
    "embed": ('<embed src="file:///etc/passwd">',
              "raw HTML <embed> is not allowed: it embeds another document"),
    "style element": ("<style>body { background: url(file:///etc/passwd) }</style>",
                      "raw HTML <style> is not allowed: it changes how the page loads;"
                      " styles belong in templates/css/"),
    "stylesheet link": ('<link rel="stylesheet" href="file:///etc/passwd">',
                        "raw HTML <link> is not allowed: it changes how the page loads;"
                        " styles belong in templates/css/"),
    "style attribute loading a URL": (
        '<div style="background: url(file:///etc/passwd)">Text</div>',
        "a style attribute that loads a URL is not allowed; styles belong in templates/css/"),
    "raw img of a file outside": ('<img src="file:///etc/passwd" alt="A secret">',
                                  "image 'file:///etc/passwd' must be a relative path inside"
                                  " the project"),
    "srcset": ('<img src="img/red-square.png" srcset="file:///etc/passwd 2x" alt="A square">',
               "raw HTML attribute 'srcset' is not allowed: it loads a URL the build does not check"),
    "inline svg": ('<svg><circle r="4"/></svg>',
                   "raw HTML <svg> is not allowed: only images are supported:"
                   " ![alt](img/figure.png)"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_with_one_located_line(tiny, copy_built, name):
    root = copy_built(tiny)
    break_copy(root, CASES[name])
    assert_refused(root, [CASES[name].message])


def test_stylesheet_importing_a_file_outside(tiny, copy_built):
    root = copy_built(tiny)
    css = root / "templates/css/print.css"
    css.write_text('@import url("file:///etc/passwd");\n' + css.read_text("utf-8"), "utf-8")
    assert_refused(root, ["folio-theme/pdf/document.html: PDF: refused: file:///etc/passwd"
                          " (only files inside the project are read)"])


def test_deeply_nested_yaml(tiny, copy_built):
    root = copy_built(tiny)
    (root / "data/team.yaml").write_text("roles: " + "[" * 5000 + "\n", "utf-8")
    assert_refused(root, ["data/team.yaml: YAML nested too deeply"])


def test_every_route_to_a_file_outside_at_once_writes_nothing(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    markup = "\n\n".join(m for m, _ in RAW_HTML.values())
    routes = ("![p](/etc/passwd) ![p](file:///etc/passwd) ![p](../../../../../../etc/passwd)"
              " [p](file:///etc/passwd) [p](/etc/passwd)")
    break_copy(root, Case("manuscript/chapter2.md", None, f"\n{routes}\n\n{markup}\n", ""))
    (root / "manuscript/img/secret.png").symlink_to("/etc/passwd")
    proc = run_folio("--project", str(root), "--quiet")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    # The links are refused before anything else is read: one problem, the link.
    assert proc.stderr == ("manuscript/img/secret.png: a link to '/etc/passwd', outside the"
                           " project: copy the file into the project instead\n")
    (root / "manuscript/img/secret.png").unlink()
    proc = run_folio("--project", str(root), "--quiet")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == len(RAW_HTML) + 5
    assert all(line.startswith("manuscript/chapter2.md:") for line in proc.stderr.splitlines())
    assert sorted(p.name for p in (root / "build").iterdir()) == [".cache"]


def test_debug_shows_the_traceback_of_a_problem(tiny, copy_built):
    root = copy_built(tiny)
    break_copy(root, CASES["missing image"])
    proc = run_folio("--project", str(root), "--quiet", "--debug")
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.endswith("\n" + CASES["missing image"].message + "\n")


def test_an_unexpected_exception_is_called_a_bug(tmp_path):
    root = assemble_tiny(tmp_path / "report")  # never built: nothing is up to date
    script = ("import importlib, sys\nfrom folio.cli import main\n"
              "document = importlib.import_module('folio.content.gather')\n"
              "def broken(*args): raise RuntimeError('oops')\n"
              "document._check = broken\nsys.exit(main(['--project', sys.argv[1]]))\n")
    proc = subprocess.run([PYTHON, "-c", script, str(root)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 70
    assert "Traceback (most recent call last)" in proc.stderr
    assert "RuntimeError: oops" in proc.stderr
    assert proc.stderr.endswith("This is a bug in folio, not a problem with your report;"
                                " please report it with the traceback above.\n")


def test_chapter_not_utf8(tiny, copy_built):
    root = copy_built(tiny)
    path = root / "manuscript/chapter2.md"
    path.write_bytes(path.read_bytes().replace("‘curly’".encode(), "‘curly’".encode("utf-16")))
    assert_refused(root, ["manuscript/chapter2.md:9: not valid UTF-8 (byte 331)"])


@pytest.mark.parametrize("name", RAW_HTML)
def test_raw_html_that_runs_code_or_loads_files_is_refused(tiny, copy_built, name):
    root = copy_built(tiny)
    markup, message = RAW_HTML[name]
    break_copy(root, Case("manuscript/chapter2.md", None, "\n" + markup + "\n", ""))
    assert_refused(root, [f"manuscript/chapter2.md:{APPENDED}: {message}"])


@pytest.mark.parametrize("edition", ["html", "epub", "pdf"])
def test_no_edition_carries_a_script(tiny, copy_built, edition):
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter1.md", "It follows the method",
                          '<script>alert("x")</script> It follows the <b onclick="x()">method</b>',
                          ""))
    assert_refused(root, [
        "manuscript/chapter1.md:3: raw HTML <script> is not allowed: it runs code",
        "manuscript/chapter1.md:3: raw HTML attribute 'onclick' is not allowed: event handlers"
        " run code",
    ], edition)


def test_every_unsafe_thing_in_a_chapter_is_reported_at_its_line(tiny, copy_built):
    root = copy_built(tiny)
    names = ["script", "event handler", "javascript: link", "iframe"]
    break_copy(root, Case("manuscript/chapter2.md", None,
                          "".join(f"\n{RAW_HTML[n][0]}\n" for n in names), ""))
    assert_refused(root, [f"manuscript/chapter2.md:{APPENDED + 2 * i}: {RAW_HTML[n][1]}"
                          for i, n in enumerate(names)])


@pytest.mark.slow  # a whole build of every edition; the refusals above stay fast
def test_chapter_metadata_cannot_pull_in_a_file(tmp_path):
    """A chapter's YAML block naming files: pandoc runs with --sandbox and the bibliography
    given on its command line, so nothing named there is read."""
    root = assemble_tiny(tmp_path / "report")
    break_copy(root, Case("manuscript/chapter2.md", "", "---\nbibliography: /etc/passwd\n"
                          "csl: /etc/passwd\ninclude-before: /etc/passwd\n---\n\n"
                          + (root / "manuscript/chapter2.md").read_text("utf-8"), ""))
    proc = run_folio("--project", str(root), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert_no_secret(root)


def assert_no_secret(root: Path) -> None:
    """No edition of ``root`` holds a line of /etc/passwd (the PDF read as text)."""
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    assert secret.startswith("root:")
    found = outputs(root)
    assert found
    for rel, data in found.items():
        if rel.endswith(".pdf"):
            text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        elif rel.endswith(".epub"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            text = data.decode("utf-8", "replace")
        assert secret not in text and "/root:" not in text, rel


def test_links_to_the_web_and_mail_are_fine(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    break_copy(root, Case("manuscript/chapter2.md", None,
                          "\nSee [the site](https://example.org/a?b=1), [plain](http://example.org)"
                          " or [write](mailto:editor@example.org).\n", ""))
    proc = run_folio("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr
    page = (root / "build/html/chapter2.html").read_text("utf-8")
    for href in ("https://example.org/a?b=1", "http://example.org", "mailto:editor@example.org"):
        assert f'href="{href}"' in page


#: A symbolic link replaces a project file; its target, a copy outside the project, is valid.
LINKS = ["manuscript/chapter2.md", "manuscript/img/red-square.png", "data/team.yaml",
         "data/references.yaml", "templates/css/print.css", "templates/sections/title-page.html",
         "templates/fonts", "manuscript/img"]


@pytest.mark.parametrize("rel", LINKS)
def test_a_link_out_of_the_project_is_refused(tiny, copy_built, tmp_path, rel):
    root = copy_built(tiny)
    outside = tmp_path / "outside" / Path(rel).name
    outside.parent.mkdir()
    os.replace(root / rel, outside)
    (root / rel).symlink_to(outside)
    assert_refused(root, [f"{rel}: a link to '{outside}', outside the project:"
                          " copy the file into the project instead"])


def test_a_link_inside_the_project_is_fine(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    os.replace(root / "manuscript/img", root / "figures")
    (root / "manuscript/img").symlink_to("../figures")
    proc = run_folio("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr
    # The image is published under the path it really has.
    page = (root / "build/html/chapter2.html").read_text("utf-8")
    assert 'src="figures/red-square.png"' in page
    assert (root / "build/html/figures/red-square.png").read_bytes() == \
        (root / "figures/red-square.png").read_bytes()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://example.com/style.css", "https://example.com/font.otf",
    "ftp://example.com/x.png", "file:///project/../../../etc/passwd",
    "file:///project/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "file:///project/templates/secret",
])
def test_the_pdf_url_fetcher_refuses_anything_but_project_files(tiny, url):
    from folio.editions.pdf.layout import ProjectFetcher  # WeasyPrint: import it only here

    with pytest.raises(ValueError, match=r"^refused: "):
        ProjectFetcher(tiny.root)(url)


def test_the_pdf_url_fetcher_refuses_a_link_out_of_the_project(tmp_path):
    from folio.editions.pdf.layout import ProjectFetcher  # WeasyPrint: import it only here

    root = assemble_tiny(tmp_path / "report")
    (root / "templates/css/secret.css").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match=r"^refused: .*not a file inside the project"):
        ProjectFetcher(root)("file:///project/templates/css/secret.css")


def test_the_pdf_url_fetcher_serves_project_files_and_data_urls(tiny):
    from folio.editions.pdf.layout import ProjectFetcher  # WeasyPrint: import it only here

    fetcher = ProjectFetcher(tiny.root)
    png = fetcher("file:///project/manuscript/img/red-square.png")
    assert png.read() == (tiny.root / "manuscript/img/red-square.png").read_bytes()
    assert fetcher("data:text/plain;base64,aGVsbG8=").read() == b"hello"


def test_the_epub_packages_only_files_of_the_project(tiny):
    """Beside what ebooklib, the templates and the PDF's cover page generate, every file in
    the EPUB is a copy of a project file: images from where the chapters keep them, CSS from
    templates/; its fonts are cut from templates/fonts/ (same names), with their rules."""
    generated = {"mimetype", "META-INF/container.xml", "EPUB/content.opf", "EPUB/toc.ncx",
                 "EPUB/cover.png", "META-INF/com.apple.ibooks.display-options.xml",
                 "EPUB/fonts/fonts.css"}
    sources = {"EPUB/epub.css": "templates/css/epub.css"}
    with zipfile.ZipFile(tiny.root / f"build/{tiny.pub['slug']}.epub") as epub:
        for name in epub.namelist():
            if name in generated or name.endswith(".xhtml"):
                continue
            rel = name.removeprefix("EPUB/")
            if rel.startswith("fonts/"):
                assert (tiny.root / "templates" / rel).is_file(), name
                continue
            source = sources.get(name) or rel
            assert epub.read(name) == (tiny.root / source).read_bytes(), name


def test_a_section_template_may_use_svg_but_not_a_javascript_url_from_data(tiny, copy_built):
    """A template is presentation (an inline icon is the designer's choice); the URLs it
    prints may come from data/ and are checked, located at the template's line that prints it."""
    root = copy_built(tiny)
    break_copy(root, Case("templates/sections/title-page.html", '  <p class="year">',
                          '  <svg viewBox="0 0 1 1"><rect width="1" height="1"/></svg>\n'
                          '  <p class="year"><a href="{{ pub.description }}">x</a>', ""))
    break_copy(root, Case("data/publication.yaml",
                          "description: The smallest report that builds, for the test suite.",
                          "description: javascript:alert(1)", ""))
    assert_refused(root, ["templates/sections/title-page.html:8: a 'javascript:' URL is not"
                          " allowed: it runs code or hides a document"])


def test_pandoc_runs_sandboxed_and_fetches_nothing(tiny):
    """--sandbox: pandoc reads only the files on its command line (the bibliography and the
    style) and no URL; nothing widens that (no --resource-path, no embedding of resources)."""
    project = load_project(tiny.root)
    args = make_pandoc(project.root, project.bibliography, None, None).args()
    assert "--sandbox" in args
    assert not [a for a in args if a.split("=")[0] in (
        "--resource-path", "--embed-resources", "--self-contained", "--extract-media",
        "--lua-filter", "--filter", "--include-in-header", "--include-before-body", "--data-dir")]
