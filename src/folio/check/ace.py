"""DAISY Ace (npm ``@daisy/ace-cli``, on Debian's Chromium): no violations in the EPUB."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from .model import Editions, Finding, Result, Tools

NAME = "DAISY Ace"


def run(editions: Editions, tools: Tools) -> Result:
    """Run ace-cli on the EPUB edition and read its JSON report."""
    if failure := editions.missing(editions.epub):
        return Result(NAME, failure=failure)
    ace = tools.node_modules / ".bin" / "ace-cli"
    if not ace.exists():
        return Result(NAME, failure=f"not installed: {ace} (see the README's set-up)")
    if failure := tools.no_chromium():
        return Result(NAME, failure=failure)
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": tools.chromium}
    with tempfile.TemporaryDirectory(prefix="folio-ace-") as out:
        proc = subprocess.run([str(ace), "--force", "--silent", "--outdir", out, str(editions.epub)],
                              check=False, capture_output=True, text=True, env=env, timeout=600)
        report = Path(out) / "report.json"
        if not report.is_file():
            return Result(NAME, failure=f"ace-cli wrote no report (exit {proc.returncode}):"
                          f" {(proc.stderr or proc.stdout).strip()[-300:]}")
        data = json.loads(report.read_text("utf-8"))
    version = data["earl:assertedBy"]["doap:release"]["doap:revision"]
    epub = editions.rel(editions.epub)
    findings = []
    for document in data.get("assertions", ()):
        url = document["earl:testSubject"]["url"].lstrip("/")
        for item in document.get("assertions", ()):
            result = item["earl:result"]
            if result["earl:outcome"] != "fail":
                continue
            pointer = result.get("earl:pointer") or {}
            where = ", ".join(pointer.get("css") or pointer.get("cfi") or ())
            test = item["earl:test"]
            findings.append(Finding(f"{epub}/{url}", where, test["dct:title"],
                                    f"{result['dct:description']} ({test['earl:impact']})"))
    return Result(NAME, version, tuple(findings), checked=len(data.get("assertions", ())))
