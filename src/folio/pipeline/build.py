"""``build(project)``: load and check everything, then write the requested editions.

The order is the house rule: gather and validate every input first (data,
chapters, templates, ids, links, images) and make every edition in memory;
only then write, each file atomically, and the provenance manifest last.
The stages, in order: plan (``incremental``: which editions are stale), load and
gather (``content``), make the stale editions in dependency order
(``editions.catalog``: the PDF layouts run in the process pool, ``workers``, beside
the HTML), commit (``commit``: write, then the manifest and the stamp).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from folio.content.convert import pandoc_binary
from folio.editions import catalog
from folio.editions.base import Context, Edition, Made
from folio.inputs.paths import check_links
from folio.pipeline import incremental
from folio.pipeline.commit import commit, recorded_paths
from folio.pipeline.lock import locked
from folio.pipeline.progress import Progress
from folio.pipeline.provenance import Provenance, collect
from folio.pipeline.workers import Pool, background, preload

#: Every edition, as the command line names them ("print": the PDF with bleed, ``<slug>-print.pdf``).
EDITIONS = catalog.NAMES


@dataclass(frozen=True)
class Outputs:
    """Where a build put each edition."""

    paths: dict[str, Path]
    seconds: float
    rebuilt: tuple[str, ...] = ()
    """The editions made again; the others were up to date and left untouched."""


@locked  # one build at a time per build folder; see lock.py
def build(project_dir: Path | str = ".", editions: Iterable[str] = EDITIONS,
          out_dir: Path | str | None = None, log: Callable[[str], None] = lambda message: None,
          pool: Pool | None = None) -> Outputs:
    """Build the chosen editions of the report in ``project_dir`` into ``out_dir`` (default build/).

    Editions whose inputs are unchanged since they were last built (see ``incremental``)
    are neither made again nor written; the PDFs are laid out in ``pool`` (by default, one
    of the build's own), beside the HTML and EPUB.
    """
    say, editions = Progress(log), tuple(editions)
    root, out = _folders(project_dir, out_dir, editions)
    pandoc = background(pandoc_binary, name="folio-pandoc")  # while git runs and inputs hash
    provenance = collect(root, pandoc, catalog.all_tools())
    plan = incremental.plan(out, editions, provenance)
    if plan.manifest_fresh:
        say(f"up to date: {', '.join(editions)}")
        return Outputs(recorded_paths(out, plan), say.elapsed)
    todo = catalog.in_order(plan.stale)
    with _layouts(pool, todo) as layouts:
        ctx = _gather(root, out, pandoc.result(), provenance, layouts, todo, say,
                      frozenset(plan.stale))
        # The pooled editions begin first: their layouts start before the others' own work.
        try:
            begun = {e.name: e.begin(ctx) for e in sorted(todo, key=lambda e: not e.pooled)}
        finally:
            ctx.begun.set()
        made: dict[str, Made] = {}
        for edition in todo:
            deps = {name: made[name] for name in edition.needs}
            deps.update(_offered(ctx, edition, made))
            made[edition.name] = edition.make(ctx, begun[edition.name], deps)
            say(f"{edition.name}: made")
    files = catalog.files(ctx.report.publication.slug)
    written = commit(out, {name: made[name] for name in plan.stale}, files, plan, provenance,
                     int(ctx.date.timestamp()), editions, say)
    return Outputs({**recorded_paths(out, plan), **written}, say.elapsed, plan.stale)


def _folders(project_dir: Path | str, out_dir: Path | str | None,
             editions: tuple[str, ...]) -> tuple[Path, Path]:
    """The project and build folders, once the editions' names and the project's links
    are checked (before the plan hashes any input: nothing outside is ever read)."""
    unknown = set(editions) - set(EDITIONS)
    if unknown:
        raise ValueError(f"unknown editions: {sorted(unknown)}")
    root = Path(project_dir).resolve()
    if (root / "data").is_dir():
        check_links(root)
    return root, Path(out_dir) if out_dir else root / "build"


@contextmanager
def _layouts(pool: Pool | None, todo: list[Edition]) -> Iterator[Pool]:
    """The pool the PDFs are laid out in: the caller's, or the build's own, closed after.
    Its server starts loading WeasyPrint now, from a thread, while pandoc converts; if the
    build fails or is interrupted, its jobs are killed (no process outlives it)."""
    own, pool = pool is None, pool or Pool()
    if any(edition.pooled for edition in todo):
        pool.warm()
    try:
        yield pool
    except BaseException:
        pool.discard()
        raise
    if own:
        pool.close()


def _gather(root: Path, out: Path, binary: tuple[str, str], provenance: Provenance, pool: Pool,
            todo: list[Edition], say: Callable[[str], None], writing: frozenset[str]) -> Context:
    """Load the project and gather the report into what every edition is made from.

    pandoc starts on the chapters first; loading the data schemas (~0.5 s) and the editions'
    modules overlaps its work. Imported here, not above: a no-op build skips them.
    """
    from folio.content.convert import prefetch

    cache = out / ".cache" / "pandoc"
    prefetched = prefetch(root, cache, binary, say)
    preloaded = preload([module for edition in todo for module in edition.preload])
    from folio.content.gather import gather
    from folio.content.render import make_environment
    from folio.editions.common import source_date
    from folio.inputs.load import load_project

    try:
        project = load_project(root, links_checked=True)
        env = make_environment(root / "templates", out / ".cache" / "jinja")
        report = gather(project, cache, say, env, binary, prefetched)
    finally:
        prefetched.settle()
    from folio.editions.fallback import check_report

    check_report(report)  # every character drawn by some font, or a located problem
    say(f"gathered {len(report.sections)} sections")
    preloaded.result()
    return Context(report, env, source_date(report, provenance.date), pool,
                   catalog.paths(report.publication.slug), frozenset(e.name for e in todo),
                   out, say, writing)


def _offered(ctx: Context, edition: Edition, made: Mapping[str, Made]) -> dict[str, Made]:
    """The editions ``edition`` offers (:meth:`Edition.offered`): as this build made them,
    else as an earlier one wrote them (the plan made ``edition`` stale if they changed since)."""
    return {name: made[name] if name in made else Made((ctx.out / ctx.paths[name]).read_bytes())
            for name in edition.offered(ctx)}
