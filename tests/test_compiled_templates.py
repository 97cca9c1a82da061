"""Templates compiled by one build are reused by the next (``content/render.py``,
CompiledTemplates), in the process and from the build's ``.cache/jinja``; an edited
template is compiled again."""

from __future__ import annotations

import pytest

from folio.content import render


@pytest.fixture
def templates(tmp_path, monkeypatch):
    monkeypatch.setattr(render.CompiledTemplates, "_kept", {})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text("Hello {{ name }}!", "utf-8")
    return tmp_path


def test_a_template_is_compiled_once_and_again_when_edited(templates, monkeypatch):
    cache = templates / "build" / ".cache" / "jinja"
    env = render.make_environment(templates / "templates", cache)
    assert render.render(env, "t.html", {"name": "you"}) == "Hello you!"
    assert len(list(cache.iterdir())) == 1
    # A second build's environment, in a new process: read back, not compiled.
    monkeypatch.setattr(render.CompiledTemplates, "_kept", {})
    compiled = []
    original = render.Environment.compile
    monkeypatch.setattr(render.Environment, "compile",
                        lambda self, *a, **k: compiled.append(a) or original(self, *a, **k))
    again = render.make_environment(templates / "templates", cache)
    assert render.render(again, "t.html", {"name": "me"}) == "Hello me!"
    assert compiled == []
    (templates / "templates" / "t.html").write_text("Goodbye {{ name }}.", "utf-8")
    edited = render.make_environment(templates / "templates", cache)
    assert render.render(edited, "t.html", {"name": "me"}) == "Goodbye me."
    assert len(compiled) == 1
