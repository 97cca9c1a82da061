"""yamlload: values as SafeLoader builds them, plus the line of every key and item."""

from __future__ import annotations

import datetime as dt

import pytest

from folio.errors import BuildError
from folio.inputs.yamlload import line_of, load_yaml

TEAM = """\
title: The Team
roles:
  - title: Authors
    relator: aut
    members:
      - name: Ada
      - name: Grace

  - title: Editor
    members:
      - {name: Linus}
"""


def load(tmp_path, text: str, name: str = "team.yaml"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return load_yaml(path, f"data/{name}")


def test_values_are_plain_python(tmp_path):
    value, _ = load(tmp_path, "a: 1\nb: 2024-03-15\nc: yes\nd: [x, 'y']\ne: ~\n")
    assert value == {"a": 1, "b": dt.date(2024, 3, 15), "c": True, "d": ["x", "y"], "e": None}


def test_lines_of_nested_keys_and_items(tmp_path):
    value, lines = load(tmp_path, TEAM)
    assert value["roles"][1]["members"][0]["name"] == "Linus"
    assert lines[()] == 1
    assert lines[("title",)] == 1
    assert lines[("roles", 0)] == 3
    assert lines[("roles", 0, "relator")] == 4
    assert lines[("roles", 0, "members", 1, "name")] == 7
    assert lines[("roles", 1)] == 9
    assert lines[("roles", 1, "members", 0, "name")] == 11


def test_line_of_falls_back_to_the_deepest_known_parent(tmp_path):
    _, lines = load(tmp_path, TEAM)
    # pydantic reports a missing key at a location that has no line of its own.
    assert line_of(lines, ("roles", 1, "relator")) == 9
    assert line_of(lines, ("roles", 0, "members", 1, "name")) == 7
    assert line_of(lines, ("nowhere",)) == 1


def test_duplicate_keys_are_errors_at_the_second_key(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "title: A\nroles:\n  - title: B\n    title: C\ntitle: D\n")
    assert str(caught.value) == ("data/team.yaml:4: duplicate key 'title'\n"
                                 "data/team.yaml:5: duplicate key 'title'")


def test_syntax_error_is_located(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "title: A\nroles:\n  - title: B\n   members: x\n")
    assert str(caught.value).startswith("data/team.yaml:4: YAML syntax error: ")


def test_tab_indentation_is_located(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "title: A\nroles:\n\t- title: B\n")
    assert str(caught.value).startswith("data/team.yaml:3: YAML syntax error: ")


def test_empty_file(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "# nothing yet\n")
    assert str(caught.value) == "data/team.yaml:1: the file is empty"


def test_not_utf8(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "title: Qu\xe9bec\n".encode("latin-1"))
    assert str(caught.value) == "data/team.yaml: not valid UTF-8 (byte 9)"


def test_impossible_values_are_located(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "title: A\ndate: 2024-02-30\nnote: !secret x\n2024-13-01: key\n")
    assert str(caught.value).splitlines() == [
        "data/team.yaml:2: invalid value '2024-02-30': day is out of range for month",
        "data/team.yaml:3: invalid value 'x': could not determine a constructor for the tag '!secret'",
        "data/team.yaml:4: invalid value '2024-13-01': month must be in 1..12",
    ]


def test_complex_keys_are_refused(tmp_path):
    with pytest.raises(BuildError) as caught:
        load(tmp_path, "title: A\n? [a, b]\n: c\n")
    assert str(caught.value) == "data/team.yaml:2: a key must be a string"
