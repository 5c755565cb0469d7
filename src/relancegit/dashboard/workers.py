"""The changed cases' letters and pages, rendered across the cores.

Layer: the rendering step of `dashboard.build`. Forked workers inherit the site (ledger,
states, figures, compiled templates); each renders a chunk of cases, writes its files itself
and sends back only names and counts. Nothing here decides what a page shows: `build` passes
the page function in.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relancegit.dashboard import letters
from relancegit.dashboard.writer import SiteWriter, safe_id
from relancegit.engine.state import CaseState
from relancegit.speed.pool import worker_count

if TYPE_CHECKING:
    from relancegit.dashboard.build import Site

CasePage = Callable[[Any, CaseState], str]
# Forked workers inherit the site (ledger, states, figures, compiled templates); each renders a
# chunk of cases, writes its files itself and sends back only names and counts.

RENDER_PARALLEL_MIN = 200  # fewer changed cases render faster than workers start
_RENDERING: tuple[Site, dict[str, CaseState], Path, date, CasePage] | None = None


@dataclass
class _Rendered:
    letters: dict[str, list[tuple[str, str]]]
    written: list[str]
    seen: list[str]
    unchanged: int
    skipped: int
    cases: int


def render_cases(
    site: Site, changed: list[CaseState], writer: SiteWriter, horizon: date, page: CasePage
) -> Iterator[int]:
    """Write the letters and pages (`page(site, state)`) of `changed`; yield how many cases each
    step finished."""
    global _RENDERING
    ids = [state.id for state in changed]
    workers = worker_count()
    _RENDERING = (site, {s.id: s for s in changed}, writer.out_dir, horizon, page)
    try:
        if workers < 2 or len(ids) < RENDER_PARALLEL_MIN:
            parts: Iterable[_Rendered] = (_render_chunk(ids[i : i + 100]) for i in range(0, len(ids), 100))
            for part in parts:
                yield _merge(site, writer, part)
            return
        size = max(1, -(-len(ids) // (workers * 8)))
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        try:
            pool = multiprocessing.get_context("fork").Pool(workers)
        except OSError:  # no fork or no semaphores here (some sandboxes): render in this process
            for chunk in chunks:
                yield _merge(site, writer, _render_chunk(chunk))
            return
        with pool:
            for part in pool.imap_unordered(_render_chunk, chunks):
                yield _merge(site, writer, part)
    finally:
        _RENDERING = None


def _render_chunk(ids: list[str]) -> _Rendered:
    assert _RENDERING is not None
    site, by_id, out_dir, horizon, page = _RENDERING
    states = [by_id[i] for i in ids]
    writer = SiteWriter(out_dir)
    rendered, skipped = letters.render_letters(site.ledger, states, site.today, writer, horizon)
    for state in states:
        site.letters[state.id] = rendered.get(state.id, [])
        writer.write(f"cases/{safe_id(state.id)}.html", page(site, state))
    return _Rendered(
        letters=rendered,
        written=[str(p) for p in writer.result.written],
        seen=list(writer.seen),
        unchanged=writer.result.unchanged,
        skipped=skipped,
        cases=len(states),
    )


def _merge(site: Site, writer: SiteWriter, part: _Rendered) -> int:
    site.letters.update(part.letters)
    writer.result.written.extend(Path(p) for p in part.written)
    writer.seen.update(part.seen)
    writer.result.unchanged += part.unchanged
    writer.result.letters_skipped += part.skipped
    return part.cases
