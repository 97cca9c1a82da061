"""The project's own data: ``data/<name>.yaml`` validated against ``data/schemas/<name>.json``.

The package knows only the publication, the reading order, the bibliography
and the contributors (models.py). Every other data file is the project's: it
ships a JSON Schema for it, validated with the ``jsonschema`` package, and the
file is exposed to templates as ``data.<name>``. Errors are located at the
YAML line and phrased like the package's own ("unknown key 'plce' (did you
mean 'place'?)"). A property's ``default`` is filled in when the key is left
out, so that a template can test an optional key (``{% if office.phone %}``)
under Jinja2's strict undefined.

Schemas are read from the project only: a ``$ref`` may point inside the schema
(``#/$defs/person``), never to a URL (the build never reads the network).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
from jsonschema import validators

from folio.errors import BuildError, Problem, Problems
from folio.inputs.yamlload import Lines, line_of

SCHEMA_FOLDER = "data/schemas"


def schema_path(stem: str) -> str:
    """Project-relative path of the schema of ``data/<stem>.yaml``."""
    return f"{SCHEMA_FOLDER}/{stem}.json"


def load_schema(root: Path, stem: str) -> tuple[dict | None, bytes | None]:
    """The parsed, checked schema of ``data/<stem>.yaml`` and its bytes, or (None, None).

    Raises a located BuildError for a schema that is not JSON or not a valid schema.
    """
    rel = schema_path(stem)
    path = root / rel
    if not path.is_file():
        return None, None
    raw = path.read_bytes()
    try:
        schema = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BuildError(f"not valid UTF-8 (byte {exc.start})", rel) from None
    except json.JSONDecodeError as exc:
        raise BuildError(f"not valid JSON: {exc.msg}", rel, exc.lineno) from None
    if not isinstance(schema, dict):
        raise BuildError("a schema is a JSON object ({...})", rel, 1)
    cls = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = _dotted(tuple(exc.absolute_path))
        raise BuildError(f"not a valid JSON Schema: {where + ': ' if where else ''}{exc.message}",
                         rel, _json_line(raw, exc.absolute_path)) from None
    return schema, raw


def validate(schema: dict, value: Any, lines: Lines, rel: str) -> Any:
    """``value`` with the schema's defaults filled in; a located BuildError if it does not fit."""
    if not isinstance(value, dict):
        raise BuildError("expected a mapping of keys at the top", rel, 1)
    value = copy.deepcopy(value)
    validator = _validator_class(schema)(schema, registry=referencing.Registry())
    try:
        errors = list(validator.iter_errors(value))
    except referencing.exceptions.Unresolvable as exc:
        raise BuildError(f"the schema refers to '{exc.ref}', which is not inside it: a schema"
                         " may refer only to its own $defs", schema_path(Path(rel).stem)) from None
    found = list(_problems(errors, lines.raw))
    unknown = {(loc[:-1], loc[-1]) for kind, loc, _ in found if kind == "unknown"}
    problems = Problems()
    for kind, loc, message in sorted(found, key=lambda f: (line_of(lines, f[1]) or 0)):
        near = [str(key) for where, key in unknown if where == loc[:-1]]
        if kind == "missing" and difflib.get_close_matches(str(loc[-1]), near, n=1):
            continue  # 'nmae' given for 'name': the unknown key's hint says it all
        problems.add(message, rel, line_of(lines, loc))
    problems.raise_if_any()
    return value


def _problems(errors, raw: dict[tuple, str]) -> Iterator[tuple[str, tuple, str]]:
    """(kind, location, message) for each error, one per missing or unknown key; ``raw``
    holds what was written of each scalar YAML did not read as a string."""
    seen: set[tuple] = set()
    for error in errors:
        loc = tuple(error.absolute_path)
        where = _dotted(loc)
        prefix = f"in {where}: " if where else ""
        if error.validator == "required" and isinstance(error.instance, dict):
            for key in error.validator_value:
                if key not in error.instance and (*loc, key) not in seen:
                    seen.add((*loc, key))
                    yield "missing", (*loc, key), f"{prefix}'{key}' is required"
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            patterns = list(error.schema.get("patternProperties", {}))
            for key in error.instance:
                if key in known or any(re.search(p, key) for p in patterns):
                    continue
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else \
                    f" (allowed: {', '.join(known)})" if known else ""
                yield "unknown", (*loc, key), f"{prefix}unknown key '{key}'{hint}"
        elif error.validator == "type" and "string" in _listed(error.validator_value) \
                and loc in raw:  # 01234567 is an octal number to YAML: say to quote it
            yield "other", loc, (f"{where}: YAML reads {raw[loc]} as {_kind(error.instance)},"
                                 f" not as text: quote it to keep it as written: '{raw[loc]}'")
        else:
            yield "other", loc, f"{where}: {error.message}" if where else error.message


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _kind(value) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def _validator_class(schema: dict):
    """The schema's validator, filling in defaults and taking YAML dates for strings."""
    base = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    properties = base.VALIDATORS["properties"]

    def fill_defaults(validator, props, instance, subschema):
        if isinstance(instance, dict):
            for key, sub in props.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(key, copy.deepcopy(sub["default"]))
        yield from properties(validator, props, instance, subschema)

    # YAML reads 2024-03-15 as a date; in JSON it would be the string it is written as.
    checker = base.TYPE_CHECKER.redefine(
        "string", lambda _, v: isinstance(v, (str, dt.date)))
    return validators.extend(base, {"properties": fill_defaults}, type_checker=checker)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json_line(raw: bytes, path) -> int | None:
    """The line of a key of the schema, found by its last name (good enough to point at)."""
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return None
    index = raw.find(json.dumps(keys[-1]).encode("utf-8"))
    return raw.count(b"\n", 0, index) + 1 if index >= 0 else None


def problem_for_missing(stem: str, rel: str) -> Problem:
    """The problem of a data file the package does not know and the project has no schema for."""
    return Problem(f"no schema for this data file: describe its keys in {schema_path(stem)}"
                   " (a JSON Schema; see README, 'Data files')", rel)
