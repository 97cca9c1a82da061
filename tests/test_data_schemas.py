"""A project declares its own data: data/<name>.yaml checked against data/schemas/<name>.json."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from folio.errors import BuildError
from folio.inputs.load import load_project
from folio.pipeline.build import build
from helpers import FIXTURES, assemble_tiny, edit, run_cli


def glossary_project(dest: Path) -> Path:
    """The tiny fixture with the glossary fixture laid over it."""
    root = assemble_tiny(dest)
    shutil.copytree(FIXTURES / "glossary", root, dirs_exist_ok=True)
    (root / "README.md").unlink()
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(BuildError) as caught:
        load_project(root)
    return str(caught.value).splitlines()


@pytest.fixture(scope="module")
def glossary_built(tmp_path_factory) -> Path:
    root = glossary_project(tmp_path_factory.mktemp("glossary") / "report")
    build(root)
    return root


def test_a_project_data_file_builds_in_every_edition(glossary_built):
    out = glossary_built / "build"
    page = (out / "html" / "glossary.html").read_text("utf-8")
    assert "<dt>Median</dt>" in page and "<dt>Site</dt>" in page
    # 'see' left out of the first term: the schema's default (null) prints nothing.
    assert "middle value of a sorted list of scores.</dd>" in page
    assert "once. See also Median.</dd>" in page
    assert (out / "tiny-report.epub").stat().st_size > 0
    assert (out / "tiny-report.pdf").stat().st_size > 0


def test_the_data_file_is_exposed_by_name_even_where_dict_has_a_method(tmp_path):
    # 'items' is also dict.items: the template must get the list.
    project = load_project(glossary_project(tmp_path / "r"))
    assert [t["term"] for t in project.data["glossary"]["items"]] == ["Median", "Site"]
    assert project.data["glossary"]["items"][0]["see"] is None  # the default, filled in


def test_a_wrong_key_is_a_located_error_and_nothing_is_written(tmp_path):
    root = glossary_project(tmp_path / "r")
    edit(root, "data/glossary.yaml", "    definition: The middle", "    defintion: The middle")
    proc = run_cli("--project", str(root), "html")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "data/glossary.yaml:4: in items[0]: unknown key 'defintion' (did you mean 'definition'?)")
    assert "Traceback" not in proc.stderr
    assert not (root / "build" / "html").exists()


def test_every_problem_of_the_data_files_is_reported(tmp_path):
    root = glossary_project(tmp_path / "r")
    edit(root, "data/glossary.yaml", "title: Glossary", "title: 12")
    edit(root, "data/glossary.yaml", "    see: Median", "    also: Median")
    (root / "data/extras.yaml").write_text("a: 1\n", "utf-8")
    assert problems(root) == [
        "data/extras.yaml: no schema for this data file: describe its keys in"
        " data/schemas/extras.json (a JSON Schema; see README, 'Data files')",
        "data/glossary.yaml:1: title: YAML reads 12 as a number, not as text:"
        " quote it to keep it as written: '12'",
        "data/glossary.yaml:7: in items[1]: unknown key 'also' (allowed: term, definition, see)",
    ]


def test_a_missing_required_key(tmp_path):
    root = glossary_project(tmp_path / "r")
    edit(root, "data/glossary.yaml", "    definition: A place the survey visited once.\n", "")
    assert problems(root) == ["data/glossary.yaml:5: in items[1]: 'definition' is required"]


def test_a_broken_schema_is_located(tmp_path):
    root = glossary_project(tmp_path / "r")
    edit(root, "data/schemas/glossary.json", '"minItems": 1,', '"minItems": 1')
    assert problems(root) == ["data/schemas/glossary.json:10: not valid JSON:"
                              " Expecting ',' delimiter"]
    edit(root, "data/schemas/glossary.json", '"minItems": 1', '"minItems": "one",')
    assert problems(root) == ["data/schemas/glossary.json:10: not a valid JSON Schema:"
                              " properties.items.minItems: 'one' is not of type 'integer'"]


def test_a_schema_may_not_refer_to_the_network(tmp_path):
    root = glossary_project(tmp_path / "r")
    edit(root, "data/schemas/glossary.json", '"#/$defs/term"', '"https://example.org/term.json"')
    assert problems(root) == [
        "data/schemas/glossary.json: the schema refers to 'https://example.org/term.json', which"
        " is not inside it: a schema may refer only to its own $defs"]


def test_the_contributors_file_is_the_one_publication_names(tmp_path):
    root = glossary_project(tmp_path / "r")
    project = load_project(root)
    assert project.credits[0] == ("Hélène Tremblay", "aut")
    edit(root, "data/publication.yaml", "contributors: team", "contributors: people")
    assert problems(root) == [
        "data/team.yaml: no schema for this data file: describe its keys in"
        " data/schemas/team.json (a JSON Schema; see README, 'Data files')",
        "data/publication.yaml:12: 'contributors: people' names data/people.yaml, which does"
        " not exist",
    ]
