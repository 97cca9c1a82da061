"""The Jinja2 environment: strict, autoescaped, with errors located in templates.

Templates read data by dotted name (``data.team.roles``) from the validated
values (the package's models, the project's schema-checked files), never by
re-reading YAML. An undefined variable is an error
(``StrictUndefined``) that names the template and its line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

import jinja2
from markupsafe import Markup

from folio.content.values import display_url
from folio.errors import BuildError
from folio.theme import SHOWN, THEME


class Environment(jinja2.Environment):
    """Jinja2, with ``record.key`` reading a data file's key before a dict's method of that
    name: a project's ``data.glossary.items`` is its 'items' list, not ``dict.items``."""

    def getattr(self, obj, attribute):
        """The mapping's key when it has one, else Jinja2's usual lookup."""
        if isinstance(obj, Mapping) and isinstance(attribute, str) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


#: What a compiled template depends on besides its source: how this module sets Jinja up.
_OPTIONS = hashlib.sha256(Path(__file__).read_bytes() + jinja2.__version__.encode()).hexdigest()


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled by an earlier build, kept in this process and in ``folder`` (the
    build's ``.cache/jinja``): each build has its own environment, which compiled every
    template again (0.05 s of a build after an edit, before the PDFs' layouts could start).
    Jinja checks each entry against its template's source and its own version; the key
    also holds this module's source, where the environment's options are set."""

    _kept: dict[str, bytes] = {}  # noqa: RUF012 - shared by every build of the process

    def __init__(self, folder: Path | None = None):
        self.folder = folder

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """Jinja's key (the template's name and file), with this module's source in it."""
        return hashlib.sha256(f"{name}|{filename}|{_OPTIONS}".encode()).hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill ``bucket`` from the process's or the folder's copy, if there is one."""
        data = self._kept.get(bucket.key)
        path = None if self.folder is None else self.folder / bucket.key
        if data is None and path is not None and path.is_file():
            data = path.read_bytes()
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep a freshly compiled template, in the process and (atomically) in the folder."""
        from folio.pipeline.output import write_file

        data = bucket.bytecode_to_string()
        self._kept[bucket.key] = data
        if self.folder is not None:
            write_file(self.folder / bucket.key, data)


def make_environment(templates: Path, cache: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment over a project's ``templates/`` folder, then the default theme;
    templates compiled by an earlier build are reused (:class:`CompiledTemplates`, kept in
    ``cache`` too, if given)."""
    env = Environment(
        loader=jinja2.FileSystemLoader([str(templates), str(THEME)]),
        bytecode_cache=CompiledTemplates(cache),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(("html", "xhtml", "xml")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # An optional field left out of data/*.yaml is None: print nothing, not "None".
        finalize=lambda value: "" if value is None else value,
    )
    env.filters["join_and"] = join_and
    env.filters["display_url"] = display_url
    return env


def join_and(items, conjunction: str = "and") -> Markup | str:
    """'a, b, and c' (serial comma, as the report prints lists)."""
    items = [Markup.escape(i) for i in items]
    if len(items) < 3:
        return Markup(f" {conjunction} ").join(items)
    return Markup(", ").join(items[:-1]) + Markup(f", {conjunction} ") + items[-1]


def render(env: jinja2.Environment, name: str, context: dict) -> str:
    """Render one template; a Jinja2 failure becomes a BuildError at the template's line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"template syntax error: {exc.message}",
                         f"templates/{exc.name or name}", exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        raise BuildError(f"template not found: templates/{exc.name}", f"templates/{name}") from None
    except jinja2.UndefinedError as exc:
        where, line = _template_frame(exc, env, name)
        message = re.sub(r"'[\w.]*\.(\w+) object'", r"'\1'", exc.message or "")
        raise BuildError(f"undefined template variable: {message}", where, line) from None


def _template_frame(exc: Exception, env: jinja2.Environment, name: str) -> tuple[str, int | None]:
    """The innermost template frame of a traceback (Jinja2 maps them to template lines)."""
    loader = env.loader
    assert isinstance(loader, jinja2.FileSystemLoader)  # make_environment's loader
    roots = {Path(loader.searchpath[0]).resolve(): "templates", THEME: SHOWN}
    found: tuple[str, int | None] = (f"templates/{name}", None)
    tb = exc.__traceback__
    while tb is not None:
        filename = Path(tb.tb_frame.f_code.co_filename)
        for root, shown in roots.items():
            if filename.is_absolute() and filename.resolve().is_relative_to(root):
                rel = filename.resolve().relative_to(root).as_posix()
                found = (f"{shown}/{rel}", tb.tb_lineno)
                break
        tb = tb.tb_next
    return found


def data_namespace(data: dict) -> SimpleNamespace:
    """The validated data files as ``data.<stem>`` for templates."""
    return SimpleNamespace(**data)
