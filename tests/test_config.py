"""config: a project is validated as a whole, and every problem of the pass is reported."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from folio.errors import BuildError
from folio.inputs.load import load_project
from helpers import PUBLICATION, make_project

#: The real report's schemas of its own data files (committee, funders...).
REPORT_SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"


def report_schema(stem: str) -> str:
    """The real report's JSON Schema of data/<stem>.yaml, for a throwaway project."""
    return (REPORT_SCHEMAS / f"{stem}.json").read_text("utf-8")


def problems(root: Path) -> list[str]:
    with pytest.raises(BuildError) as caught:
        load_project(root)
    return str(caught.value).splitlines()


def test_minimal_project_loads(tmp_path):
    project = load_project(make_project(tmp_path, {}))
    assert project.publication.full_title == "A Report"
    assert [s.source for s in project.specs] == ["manuscript/one.md"]
    assert project.bibliography is None
    assert sorted(project.files) == ["data/contents.yaml", "data/publication.yaml",
                                     "manuscript/one.md"]


def test_two_bad_files_give_two_problems(tmp_path):
    root = make_project(tmp_path, {
        "data/publication.yaml": PUBLICATION.replace("publisher: A Publisher\n", "")
                                            .replace("rights: Some rights.\n", "contributors: team\n"),
        "data/team.yaml": "title: T\nroles:\n  - title: Authors\n    relator: author\n"
                          "    members: [{name: A}]\n",
    })
    assert problems(root) == [
        "data/publication.yaml:1: 'publisher' is required",
        "data/team.yaml:4: roles[0].relator: String should match pattern '^[a-z]{3}$'",
    ]


def test_syntax_error_and_schema_error_are_reported_together(tmp_path):
    root = make_project(tmp_path, {
        "data/committee.yaml": "title: [C\nmembers: []\n",
        "data/schemas/committee.json": report_schema("committee"),
        "data/schemas/funders.json": report_schema("funders"),
        "data/funders.yaml": "title: F\nfunders:\n  - name: N\n    plce: Montreal\n",
    })
    assert problems(root) == [
        "data/committee.yaml:2: YAML syntax error: while parsing a flow sequence; expected ',' or ']',"
        " but got ':'",
        "data/funders.yaml:4: in funders[0]: unknown key 'plce' (did you mean 'place'?)",
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path):
    root = make_project(tmp_path, {"data/committee.yaml": "title: C\nmembers: [{name: A}]\nzzz: 1\n",
                                   "data/schemas/committee.json": report_schema("committee")})
    assert problems(root) == ["data/committee.yaml:3: unknown key 'zzz' (allowed: title, members)"]


def test_unknown_data_file_and_yml_extension(tmp_path):
    root = make_project(tmp_path, {"data/team.yml": "title: T\n", "data/extras.yaml": "a: 1\n"})
    found = problems(root)
    assert found[0] == ("data/extras.yaml: no schema for this data file: describe its keys in"
                        " data/schemas/extras.json (a JSON Schema; see README, 'Data files')")
    assert found[1] == "data/team.yml: data files end in .yaml, not .yml"


def test_required_files(tmp_path):
    root = make_project(tmp_path, {"data/contents.yaml": None})
    assert problems(root) == ["data/contents.yaml: required file is missing"
                              " (the reading order, declared once)"]


def test_chapter_paths_must_stay_inside_manuscript(tmp_path):
    root = make_project(tmp_path, {
        "data/contents.yaml": "body:\n  - {source: one.md}\n  - {source: ../data/publication.yaml}\n"
                              "back:\n  - {template: ../../etc/passwd, id: x, title: X}\n",
    })
    assert problems(root) == [
        "data/contents.yaml:3: '../data/publication.yaml' must be a path inside manuscript/",
        "data/contents.yaml:5: '../../etc/passwd' must be a path inside templates/sections/",
    ]


def test_every_missing_chapter_is_reported(tmp_path):
    root = make_project(tmp_path, {
        "data/contents.yaml": "front:\n  - {source: preface.md}\nbody:\n  - {source: one.md}\n"
                              "  - {source: two.md}\n",
    })
    assert problems(root) == ["data/contents.yaml:2: chapter not found: manuscript/preface.md",
                              "data/contents.yaml:5: chapter not found: manuscript/two.md"]


def test_entry_needs_a_source_or_a_template(tmp_path):
    root = make_project(tmp_path, {
        "data/contents.yaml": "body:\n  - {source: one.md}\nback:\n  - {id: x, title: X}\n"
                              "  - {template: missing.html}\n",
    })
    assert problems(root) == [
        "data/contents.yaml:4: an entry needs a 'source' or a 'template'",
        "data/contents.yaml:5: template entry 'missing.html' needs an 'id' and a 'title'",
        "data/contents.yaml:5: template not found: templates/sections/missing.html",
    ]


def test_empty_body(tmp_path):
    root = make_project(tmp_path, {"data/contents.yaml": "body: []\n"})
    assert problems(root) == ["data/contents.yaml: the manuscript is empty: 'body' lists no chapter"]


def test_chapter_not_utf8(tmp_path):
    root = make_project(tmp_path, {})
    (root / "manuscript/one.md").write_bytes("# One\n\nQu\xe9bec\n".encode("latin-1"))
    assert problems(root) == ["manuscript/one.md:3: not valid UTF-8 (byte 9)"]


def test_models_are_frozen(tmp_path):
    project = load_project(make_project(tmp_path, {}))
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        project.publication.title = "Changed"
