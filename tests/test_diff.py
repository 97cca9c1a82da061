"""invoke diff: words changed between two commits, and the pages they fall on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from lxml import html as lhtml

from folio.commands.diff import diff
from folio.errors import BuildError
from helpers import assemble_tiny, edit

GIT_ENV = {"GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
           "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "editor@example.org",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
           "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env=GIT_ENV, timeout=120)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository whose report sits in a subfolder, with two commits that change chapters."""
    top = tmp_path_factory.mktemp("diff") / "repo"
    root = assemble_tiny(top / "report")
    git(top, "init", "-q")
    git(top, "add", ".")
    git(top, "commit", "-q", "-m", "first draft")
    edit(root, "manuscript/chapter2.md", "Most sites scored above the median.",
         "Most sites scored above the median, and R&D spending < 5 % rose sharply.")
    git(top, "commit", "-q", "-am", "second draft: findings")
    # A long insertion early in chapter 1 pushes the chapters after it down the pages.
    extra = "\n\n".join(f"Paragraph {i} of the inserted background explains the regional "
                        "survey context at some length, so that it fills the page." for i in range(40))
    edit(root, "manuscript/chapter1.md", "## Survey Method {#survey-method}",
         f"## Background {{#background}}\n\n{extra}\n\n## Survey Method {{#survey-method}}")
    git(top, "commit", "-q", "-am", "third draft: background")
    return root


def test_diff_of_two_commits_shows_the_words_and_their_pages(repo):
    target = diff(repo, "HEAD~2", log=lambda m: None)
    assert target == repo / "build/diff/index.html"
    text = target.read_text("utf-8")
    doc = lhtml.fromstring(text)
    inserted = [" ".join(el.text_content().split()) for el in doc.iter("ins")]
    assert any("and R&D spending < 5 % rose sharply." in words for words in inserted)
    assert "R&amp;D spending &lt; 5" in text  # escaped, never raw
    assert any(t.startswith("## Background") for t in inserted)
    # The page map: chapter 2 starts later after the background was inserted before it.
    rows = {r[0].strip(): r[1:] for r in _rows(doc)}
    before, after, moved = rows["Chapter Two: Findings"]
    assert int(after) > int(before) and moved == f"+{int(after) - int(before)}"
    where = _hunk_where(doc, "R&D")
    page = int(re.search(r"inserted on p\. (\d+) of the working tree", where).group(1))
    assert page >= int(after)
    pages = re.search(r"PDF: (\d+) → (\d+) pages", text)
    assert int(pages.group(2)) > int(pages.group(1))
    assert rows["Background"][0] == "" and rows["Background"][2] == "new"


def test_diff_between_two_revisions_names_the_pages_of_the_inserted_words(repo):
    text = diff(repo, "HEAD~2", to="HEAD~1", log=lambda m: None).read_text("utf-8")
    doc = lhtml.fromstring(text)
    assert "Background" not in text
    where = _hunk_where(doc, "R&D")
    # chapter 2 of the tiny report is on the PDF's last pages, never the title page
    page = int(re.search(r"inserted on p\. (\d+) of HEAD~1", where).group(1))
    assert page > 1
    assert "manuscript/chapter1.md" not in text


def test_an_unknown_revision_is_a_located_error(repo):
    with pytest.raises(BuildError) as info:
        diff(repo, "no-such-rev", log=lambda m: None)
    assert str(info.value) == ".: unknown revision 'no-such-rev'"


def _hunk_where(doc, needle: str) -> str:
    for p in doc.find_class("hunk"):
        if needle in p.text_content():
            return " ".join(p.find_class("where")[0].text_content().split())
    raise AssertionError(f"no hunk with {needle}")


def _rows(doc):
    for tr in doc.iter("tr"):
        cells = [td.text_content() for td in tr.findall("td")]
        if cells:
            yield cells
