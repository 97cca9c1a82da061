"""The Nu HTML checker (npm ``vnu-jar``, with Java) on every page of the HTML edition: 0 errors."""

from __future__ import annotations

import json
import subprocess

from .model import JAVA_OPTIONS, Editions, Finding, Result, Tools

NAME = "Nu HTML checker"


def run(editions: Editions, tools: Tools) -> Result:
    """Run vnu.jar over build/html/*.html; its warnings are reported, its errors fail."""
    pages = editions.html_pages()
    if not pages:
        return Result(NAME, failure=editions.missing(editions.html) or "no HTML pages in build/html")
    jar = tools.node_modules / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not jar.is_file():
        return Result(NAME, failure=f"not installed: {jar} (see the README's set-up)")
    try:
        version = subprocess.run([tools.java, *JAVA_OPTIONS, "-jar", str(jar), "--version"],
                                 capture_output=True, text=True, timeout=120,
                                 check=False).stdout.strip()
        proc = subprocess.run([tools.java, *JAVA_OPTIONS, "-jar", str(jar), "--format", "json",
                               "--exit-zero-always", *map(str, pages)], capture_output=True,
                              text=True, timeout=600, check=False)
    except FileNotFoundError:
        return Result(NAME, failure=f"Java not found: {tools.java}")
    try:
        messages = json.loads(proc.stderr)["messages"]
    except (ValueError, KeyError):
        return Result(NAME, version, failure=f"unreadable output: {proc.stderr.strip()[-300:]}")
    findings = []
    for msg in messages:
        error = msg["type"] in ("error", "non-document-error") or msg.get("subType") == "fatal"
        if not error and msg.get("subType") != "warning":
            continue
        path = msg.get("url", "").removeprefix("file:")
        where = f"{msg['lastLine']}:{msg.get('firstColumn', msg.get('lastColumn', 0))}" \
            if "lastLine" in msg else ""
        file = editions.rel(editions.root.joinpath(path)) if path.startswith(str(editions.root)) \
            else path
        findings.append(Finding(file, where, "vnu", msg["message"], error))
    return Result(NAME, version, tuple(findings), checked=len(pages))
