"""``folio new PATH``: a minimal project that builds at once and passes ``invoke check``."""

from __future__ import annotations

import datetime as dt

import yaml

from folio.check.runner import VALIDATORS
from folio.commands.new import new_project
from folio.errors import BuildError
from folio.inputs.load import load_project
from helpers import invoke, run_cli


def test_a_new_project_builds_every_edition_and_passes_check(tmp_path):
    root = tmp_path / "annual-report"
    made = run_cli("new", str(root), "--title", "Annual Report 2026")
    assert made.returncode == 0, made.stderr
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        ".gitignore", "README.md", "data/contents.yaml", "data/publication.yaml",
        "manuscript/introduction.md"]
    assert (root / "README.md").read_text("utf-8").startswith("# Annual Report 2026\n")
    built = run_cli("--project", str(root), "--quiet")
    assert built.returncode == 0, built.stderr
    for name in ("annual-report-2026.pdf", "annual-report-2026-print.pdf",
                 "annual-report-2026.epub", "html/index.html", "html/introduction.html"):
        assert (root / "build" / name).is_file(), name
    check = invoke("check", "--project", str(root))
    assert check.returncode == 0, check.stdout + check.stderr
    lines = check.stdout.splitlines()
    assert lines[-1] == f"check: passed ({len(VALIDATORS)} validators)"
    # Clean: every validator ran on something and found nothing, not even a warning.
    for line in lines[:-1]:
        assert "passed (0 errors, 0 warnings;" in line and "; 0 checked)" not in line, line


def test_a_new_project_has_its_own_identifier_and_date(tmp_path):
    one = new_project(tmp_path / "one", today=dt.date(2026, 3, 4))
    two = new_project(tmp_path / "two", today=dt.date(2026, 3, 4))
    pub = yaml.safe_load((one / "data/publication.yaml").read_text("utf-8"))
    assert pub["title"] == "One" and pub["date"] == dt.date(2026, 3, 4) and pub["year"] == 2026
    other = yaml.safe_load((two / "data/publication.yaml").read_text("utf-8"))
    assert pub["identifier"] != other["identifier"]
    assert load_project(one).publication.slug == "one"


def test_a_title_that_needs_quoting_in_yaml(tmp_path):
    root = new_project(tmp_path / "r", title='Rights: "Who Owns" #1', today=dt.date(2026, 1, 1))
    assert load_project(root).publication.title == 'Rights: "Who Owns" #1'


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", "utf-8")
    try:
        new_project(tmp_path / "taken")
    except BuildError as exc:
        assert "already exists and is not an empty folder" in str(exc)
    else:
        raise AssertionError("folio new wrote into a folder that was not empty")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    proc = run_cli("new", str(tmp_path / "taken"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
