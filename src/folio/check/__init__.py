"""``invoke check``: every validator on the built editions, one report, non-zero on any error.

Each validator is a module with ``NAME`` and ``run(editions, tools) -> Result``;
:mod:`folio.check.runner` runs them all and formats the report.
"""

from .model import Editions, Finding, Result, Tools
from .runner import VALIDATORS, format_report, run_checks

__all__ = ["VALIDATORS", "Editions", "Finding", "Result", "Tools", "format_report", "run_checks"]
