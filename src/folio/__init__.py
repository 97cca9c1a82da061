"""folio: one Markdown-and-YAML source, three editions (PDF, EPUB 3, HTML)."""

from folio.errors import BuildError
from folio.pipeline.build import EDITIONS, build

__all__ = ["EDITIONS", "BuildError", "build"]
