"""folio: one Markdown-and-YAML source, three editions (PDF, EPUB 3, HTML)."""

from .build import EDITIONS, build
from .errors import BuildError

__all__ = ["EDITIONS", "BuildError", "build"]
