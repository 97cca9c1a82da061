"""folio: one Markdown-and-YAML source, three editions (PDF, EPUB 3, HTML)."""

from folio.pipeline.build import EDITIONS, build
from folio.errors import BuildError

__all__ = ["EDITIONS", "BuildError", "build"]
