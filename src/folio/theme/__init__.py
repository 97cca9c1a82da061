"""The default theme: templates, stylesheets and fonts a project need not ship.

A project's ``templates/`` overrides the theme file by file (like mkdocs's
``custom_dir``): ``templates/css/print.css`` replaces the theme's print.css and
leaves the rest of the theme in use. The fonts are the one exception: they go
together with the ``fonts.css`` that declares them, so a project with a
``templates/fonts/`` folder uses its own fonts only.

To the editions the theme and the project's templates are one folder,
``templates/``: the PDF's document asks for ``templates/css/print.css`` and
gets whichever file wins. Only the standard library is imported here: the
incremental build lists the theme's files before it loads anything else.
"""

from __future__ import annotations

from pathlib import Path

#: The theme's folder, laid out like a project's ``templates/``.
THEME = Path(__file__).resolve().parent
#: How a theme file is named in messages and in the manifest's inputs.
SHOWN = "folio-theme"
#: Subfolders that are used whole, from the project or from the theme, never mixed.
WHOLE = ("fonts",)
#: The fallback fonts' folder (``editions/fallback.py``), never a project's.
FALLBACK = "fallback"


def template_dirs(root: Path) -> list[Path]:
    """Where templates are looked up, first match wins: the project's, then the theme's."""
    return [root / "templates", THEME]


def resolve(root: Path, rel: str) -> Path:
    """The file that ``templates/<rel>`` means: the project's if it has one, else the theme's.

    ``rel`` is relative to ``templates/`` (``css/screen.css``); the result may not exist.
    """
    own = root / "templates" / rel
    top = rel.split("/", 1)[0]
    if own.is_file() or (top in WHOLE and (root / "templates" / top).is_dir()):
        return own
    return THEME / rel


def shown(root: Path, path: Path) -> str:
    """A file's name for a message: ``templates/x`` in the project, ``folio-theme/x`` in the theme."""
    path = path.resolve()
    if path.is_relative_to(THEME):
        return f"{SHOWN}/{path.relative_to(THEME).as_posix()}"
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def theme_inputs(root: Path) -> dict[str, Path]:
    """The theme's files a build of ``root`` may read (those its templates/ does not
    override), by the name the manifest gives them (``folio-theme/css/print.css``)."""
    found = {}
    for path in sorted(THEME.rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(THEME).as_posix()
        if rel.startswith(f"{FALLBACK}/") and rel != f"{FALLBACK}/fonts.txt":
            continue  # 100 MB of fonts, each pinned by its sha256 in fonts.txt
        if resolve(root, rel) == path:
            found[f"{SHOWN}/{rel}"] = path
    return found
