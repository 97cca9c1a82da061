"""Property-based tests (issue 7): whatever text arrives, the data loader and the Markdown stage
either succeed or raise BuildError, never anything else (no traceback for an editor).

Examples are bounded so the suite stays fast; ``deadline=None`` because pandoc's start-up
time varies with the machine's load.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from folio.content.gather import gather
from folio.errors import BuildError
from folio.inputs.load import load_project
from folio.inputs.yamlload import load_yaml
from helpers import make_project

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Characters that mean something to YAML, so that random text is often nearly YAML.
YAML_CHARS = "ab1:-[]{}!&*#|>'\"\n\t %@`.?,\\~=" + "é\u2028\x85\ufeff\x00"
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=20), st.dates())
#: Documents PyYAML can write: valid YAML of any shape, most of it the wrong shape for a schema.
YAML_DOCUMENTS = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12,
).map(lambda value: yaml.safe_dump(value, allow_unicode=True))
YAML_TEXT = st.one_of(st.text(YAML_CHARS, max_size=200), st.text(max_size=100), YAML_DOCUMENTS)

#: Pieces of Markdown, raw HTML and pandoc syntax that the stage has to handle.
MARKDOWN_PIECES = [
    "# ", "## ", "### ", "Title", " {#one}", " {#two .class key=value}", "[link](#one)",
    "[out](../x.md)", "[web](https://example.org)", "![alt](img/x.png)", "![](/etc/passwd)",
    "[@smith2020]", "[^1]", "[^1]: note", "\n", "\n\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "```\ncode\n```", "> quote", "- item", "1. item", "<div>", "</div>", "<script>x</script>",
    '<span onclick="x">', "<!--", "-->", "---\n", "title: x\n", "\\", "&#0;", "&amp;", "*",
    "_", "`", "$x$", "\x00", "\x0c", "\ufeff", "\ud7ff", "é", "{", "}", "<", ">", "@",
]
MARKDOWN = st.lists(st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=8)),
                    max_size=25).map("".join)


@SETTINGS
@given(text=YAML_TEXT)
@example(text="a: &x [1]\nb: *x\n")
@example(text="[" * 5000)
@example(text="a: !!python/object:os.system x\n")
def test_any_yaml_text_loads_or_raises_build_error(tmp_path: Path, text: str):
    path = tmp_path / "team.yaml"
    path.write_text(text, "utf-8", errors="surrogatepass")
    try:
        load_yaml(path, "data/team.yaml")
    except BuildError as exc:
        assert exc.problems and all(p.path == "data/team.yaml" for p in exc.problems)


@SETTINGS
@given(text=YAML_TEXT)
def test_any_data_file_validates_or_raises_build_error(tmp_path: Path, text: str):
    root = make_project(tmp_path, {})
    (root / "data/team.yaml").write_text(text, "utf-8", errors="surrogatepass")
    try:
        load_project(root)
    except BuildError as exc:
        assert exc.problems


@SETTINGS
@given(text=MARKDOWN)
@example(text="# One\n\n\x00")
@example(text="# One\n\n<p>" * 300)
def test_any_markdown_gathers_or_raises_build_error(tmp_path: Path, text: str):
    root = make_project(tmp_path, {})
    (root / "manuscript/one.md").write_text(text, "utf-8", errors="surrogatepass")
    try:
        gather(load_project(root))
    except BuildError as exc:
        assert exc.problems
