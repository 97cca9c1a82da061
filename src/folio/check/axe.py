"""axe-core in headless Chromium (Playwright) on every page of the HTML edition: 0 violations."""

from __future__ import annotations

from .model import Editions, Finding, Result, Tools

NAME = "axe-core"
#: Chromium without its background traffic: the check reads local files only.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def run(editions: Editions, tools: Tools) -> Result:
    """Load each page from file://, inject axe.min.js and run ``axe.run()`` on it."""
    pages = editions.html_pages()
    if not pages:
        return Result(NAME, failure=editions.missing(editions.html) or "no HTML pages in build/html")
    script = tools.node_modules / "axe-core" / "axe.min.js"
    if not script.is_file():
        return Result(NAME, failure=f"not installed: {script} (see the README's set-up)")
    if failure := tools.no_chromium():
        return Result(NAME, failure=failure)
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return Result(NAME, failure="the playwright package is not installed")
    findings, version = [], None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=tools.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            for path in pages:
                page.goto(path.as_uri())
                page.add_script_tag(path=str(script))
                version, violations = page.evaluate(
                    "async () => [axe.version, (await axe.run(document)).violations]")
                findings += _findings(editions.rel(path), violations)
            browser.close()
    except Error as exc:
        return Result(NAME, version, failure=f"Chromium failed: {str(exc).splitlines()[0]}")
    return Result(NAME, version, tuple(findings), checked=len(pages))


def _findings(file: str, violations: list[dict]) -> list[Finding]:
    out = []
    for rule in violations:
        for node in rule["nodes"]:
            target = ", ".join(str(t) for t in node["target"])
            out.append(Finding(file, target, rule["id"], f"{rule['help']} ({rule['impact']})"))
    return out
