"""When each unit of a book's PDF is laid out, and what it is told: its first page number
and, where its opening does not fix it, the side of its first page.

Both follow from the page counts of the units before it: the first page number from
the body's (the body restarts at 1), the side from all of them, the front matter's
included (the screen edition's cover is a right-hand page). :meth:`Scheduler.one_by_one`
lays the units out in book order, each with its numbers written into its document;
:meth:`Scheduler.in_parallel` starts them all at once in the pool
(``layout.lay_out_unit``): each job reports its page count once its pages are made and
waits for its start where it needs it (the side before pagination, the first page
number before the margin boxes), given as soon as the counts before it are known. Jobs
go to the pool in book order, so the earliest unfinished one never waits for a later
one.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from folio.editions.pdf.document import LayoutRequest, PrintLayout

if TYPE_CHECKING:
    from folio.editions.pdf.book import LayoutCache, Run, Start


#: Jobs that may wait in a worker for their start, in all the build's books at once: one
#: worker less than the pool has (``pipeline/workers.py``: one per core).
_SPECULATIVE = threading.BoundedSemaphore(max(0, (os.cpu_count() or 1) - 1))


class Scheduler:
    """The units of one book's PDF edition, in book order, and the cache their layouts go to."""

    def __init__(self, cache: LayoutCache | None, progress: Callable[[LayoutRequest, PrintLayout], None]):
        self.cache = cache
        self.progress = progress
        self.requests: list[LayoutRequest] = []
        self.fixed: list[bool] = []
        self.body: list[bool] = []
        self.watch: list[tuple[str, ...]] = []

    def add(self, request: LayoutRequest, fixed: bool, body: bool = True,
            watch: tuple[str, ...] = ()) -> None:
        """A unit (``fixed``: its opening fixes its side; ``body``: it is numbered on from the
        ones before it, unlike the front matter; ``watch``: the anchors in it whose page
        numbers :meth:`in_parallel`'s ``numbered`` is told)."""
        self.requests.append(request)
        self.fixed.append(fixed)
        self.body.append(body)
        self.watch.append(watch)

    def _starts(self, counts: list[int | None], front_pages: int | None = None) -> list[Start]:
        """The starts of the units whose predecessors' counts are all known."""
        starts: list[Start] = []
        page, physical = 1, front_pages or 0
        for i in range(len(self.requests)):
            right = None if self.fixed[i] else physical % 2 == 0
            starts.append((page if self.body[i] else None, right))
            count = counts[i]
            if count is None:
                break
            physical += count
            if self.body[i]:
                page += count
        return starts

    def one_by_one(self, request: Callable[[int, Start], LayoutRequest],
                   lay_out: Callable[[LayoutRequest], PrintLayout],
                   front_pages: int | None) -> list[PrintLayout]:
        """Each unit laid out in turn with ``lay_out``, its start written in by ``request``."""
        counts: list[int | None] = [None] * len(self.requests)
        layouts = []
        for i in range(len(self.requests)):
            layout = lay_out(request(i, self._starts(counts, front_pages)[i]))
            counts[i] = layout.count
            layouts.append(layout)
        return layouts

    def in_parallel(self, run: Run, numbered: Callable[[dict[str, str]], None] | None = None
                    ) -> list[PrintLayout]:
        """Every unit laid out in the pool at once, each told its start when it is known;
        ``numbered`` is called once with the page number of every anchor the units watch
        (:meth:`add`), as soon as all are paginated: before the last ones are written.

        A unit whose document the cache knows (unchanged since a build) is not laid out at
        once: once its start is known, the cache may have its layout from that start; only if
        not is it laid out. So an edit lays out the edited chapter, and the chapters after it
        only if its page count moved them.
        """
        from folio.editions.pdf.book import LAY_OUT_UNIT

        cache, requests = self.cache, self.requests
        n = len(requests)
        counts: list[int | None] = [None] * n
        given: list[Start | None] = [None] * n
        layouts: list[PrintLayout | None] = [None] * n
        located: list[dict[str, int] | None] = [None] * n  # per unit, its watched anchors' pages
        told = [numbered is None]
        futures: dict = {}
        waiting: dict = {}
        manager = multiprocessing.get_context("forkserver").Manager()
        try:
            reported = manager.Queue()

            def start_job(i: int) -> None:
                waiting[i] = manager.Queue()
                futures[i] = run(LAY_OUT_UNIT, requests[i], i, not self.fixed[i], reported, waiting[i],
                                 self.watch[i])
                if cache:
                    cache.laid_out.append(requests[i].unit)

            known = [bool(cache and cache.known(r)) for r in requests]
            ahead = [0]  # units before it have a job or a layout: the next one that may start
            held: set[int] = set()  # jobs started before their start was known

            def start_in_order() -> None:
                # In book order; a job whose start is not known yet waits in its worker, so at
                # most one worker less than the pool has may be held so (one on two cores):
                # else two waiting jobs could hold both workers while the jobs they wait for
                # queue (one of each PDF edition, say). A unit the cache may hold is looked
                # up once its start is known; the ones after it wait for that.
                while ahead[0] < n:
                    i = ahead[0]
                    if layouts[i] is None and i not in futures:
                        if given[i] is None and (known[i] or not _SPECULATIVE.acquire(blocking=False)):
                            return
                        found = cache.get(requests[i], given[i]) if cache and known[i] else None
                        if found is not None:
                            layouts[i], counts[i] = found, found.count
                            located[i] = _located(found, self.watch[i])
                            self.progress(requests[i], found)
                        else:
                            start_job(i)
                            if given[i] is None:
                                held.add(i)
                            else:
                                waiting[i].put(given[i])
                    ahead[0] += 1

            def tell() -> None:
                if not told[0] and all(found is not None for found in located):
                    told[0] = True
                    assert numbered is not None
                    numbered(self._numbers(located, self._starts(counts)))

            start_in_order()
            tell()  # every unit found in the cache
            while any(layout is None for layout in layouts):
                for i, start in enumerate(self._starts(counts)):
                    if given[i] is None:
                        given[i] = start
                        if i in held:
                            waiting[i].put(start)
                            held.discard(i)
                            _SPECULATIVE.release()
                start_in_order()
                for i, future in list(futures.items()):
                    if future.done():
                        layout = layouts[i] = future.result()
                        counts[i] = layout.count
                        located[i] = _located(layout, self.watch[i])
                        del futures[i]
                        if cache:
                            cache.put(requests[i], layout, given[i])
                        self.progress(requests[i], layout)
                tell()
                if any(layout is None for layout in layouts):
                    try:
                        i, count, found = reported.get(timeout=0.05)
                        counts[i], located[i] = count, found
                    except queue.Empty:
                        pass
        finally:
            for _ in held:
                _SPECULATIVE.release()
            for future in futures.values():
                future.cancel()
            manager.shutdown()
        return [layout for layout in layouts if layout is not None]

    def _numbers(self, located: list, starts: list[Start]) -> dict[str, str]:
        """The page number of each watched anchor, from its unit's first page number (as
        ``book._numbers`` numbers them from the layouts)."""
        numbers: dict[str, str] = {}
        for found, (first, _) in zip(located, starts, strict=True):
            for anchor, index in (found or {}).items():
                if first is not None:
                    numbers.setdefault(anchor, str(first + index))
        return numbers


def _located(layout: PrintLayout, watch: tuple[str, ...]) -> dict[str, int]:
    """The index among the pages laid out of the first page of ``layout`` that holds each
    anchor of ``watch``."""
    found: dict[str, int] = {}
    for index, anchors in zip(layout.indices(), layout.anchors, strict=False):
        for anchor in anchors:
            if anchor in watch:
                found.setdefault(anchor, index)
    return found
