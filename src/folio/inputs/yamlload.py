"""Read YAML while remembering the line of every value, for located errors.

PyYAML's composer gives each node a start mark; we build plain Python values
from the nodes ourselves and keep a map from each value's path (a tuple of
keys and indexes, as pydantic reports it) to its 1-based line.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

from folio.content.sanitize import xml_unsafe
from folio.errors import BuildError, Problem


class Lines(dict[tuple, int]):
    """The 1-based line of each value, by path; and in :attr:`raw`, the text as written of
    each scalar YAML reads as something other than a string (a fax number 01234567 is read
    as a number), so that a message can quote what the editor wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: dict[tuple, str] = {}


def load_yaml(path: Path, shown: str) -> tuple[object, Lines]:
    """Parse one YAML file into (value, lines); raise a located BuildError."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(f"not valid UTF-8 (byte {exc.start})", shown) from None
    value, lines = _parse(text, shown)
    copied = Lines()
    copied.update(lines)
    copied.raw.update(lines.raw)
    try:
        return copy.deepcopy(value), copied
    except RecursionError:  # deeper than parsing it went: a few frames more a level
        raise BuildError("YAML nested too deeply", shown) from None


@functools.lru_cache(maxsize=256)
def _parse(text: str, shown: str) -> tuple[object, Lines]:
    """The value and lines of a YAML text, remembered: PyYAML's pure-Python parser takes
    milliseconds a file, and ``invoke serve`` (or the suite) reads the same unchanged data
    files build after build. :func:`load_yaml` hands out copies. A file that fails is
    parsed again each time (an exception is not remembered)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:  # a NUL or another character YAML refuses
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise BuildError(f"the character U+{character:04X} is not allowed in text", shown,
                         text.count("\n", 0, exc.position) + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = "; ".join(x for x in (exc.context, exc.problem) if x)
        raise BuildError(f"YAML syntax error: {message}", shown, line) from None
    except yaml.YAMLError as exc:
        raise BuildError(f"YAML error: {exc}", shown) from None
    except RecursionError:
        raise BuildError("YAML nested too deeply", shown) from None
    if node is None:
        raise BuildError("the file is empty", shown, 1)
    lines = Lines()
    problems: list[Problem] = []
    try:
        value = _build(node, (), lines, problems, shown, set())
    except RecursionError:
        raise BuildError("YAML nested too deeply", shown) from None
    if problems:
        raise BuildError(problems)
    return value, lines


def _build(node, path: tuple, lines: Lines, problems: list, shown: str, seen: set):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        # An alias makes PyYAML hand back the same node again; a few nested ones would
        # expand to billions of values ("billion laughs"). Data files spell values out.
        if id(node) in seen:
            problems.append(Problem("anchors and aliases (&name, *name) are not supported:"
                                    " write the value out", shown, node.start_mark.line + 1))
            return None
        seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            known = len(problems)
            key = _scalar(key_node, problems, shown)
            if len(problems) > known:
                continue
            if not isinstance(key, (str, int)):
                problems.append(Problem("a key must be a string", shown, key_node.start_mark.line + 1))
                continue
            if key in result:
                problems.append(Problem(f"duplicate key '{key}'", shown, key_node.start_mark.line + 1))
                continue
            result[key] = _build(value_node, (*path, key), lines, problems, shown, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, problems, shown, seen)
                for i, item in enumerate(node.value)]
    value = _scalar(node, problems, shown)
    if value is not None and not isinstance(value, str):
        lines.raw[path] = node.value
    return value


def _scalar(node, problems: list, shown: str):
    """Resolve a scalar with SafeLoader's rules (ints, dates, booleans...)."""
    if not isinstance(node, yaml.ScalarNode):
        return node  # a complex key; rejected by the caller
    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_object(node, deep=True)
        bad = xml_unsafe(value) if isinstance(value, str) else None
        if bad:
            problems.append(Problem(f"the character {bad} is not allowed in text", shown,
                                    node.start_mark.line + 1))
        return value
    except (ValueError, yaml.YAMLError) as exc:
        # 2024-13-45 looks like a date (PyYAML raises a bare ValueError); '!tag x' is unknown.
        reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else exc
        problems.append(Problem(f"invalid value '{node.value}': {reason}", shown,
                                node.start_mark.line + 1))
        return None
    finally:
        loader.dispose()


def line_of(lines: Lines, loc: tuple) -> int | None:
    """The line of the deepest known prefix of ``loc`` (a pydantic location)."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
