"""The changed cases' letters and pages, rendered a chunk at a time.

Layer: the rendering step of `site.site`. `render_chunk` renders a chunk of cases, writes
their files with its own writer and returns only names and counts, so that it can run in a
worker process (`speed.pages` forks them); `merge` adds a chunk's outcome to the build's.
Nothing here decides what a page shows (`write_site` passes the page function in) nor where a
chunk is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relancegit.engine.state import CaseState
from relancegit.site import previews
from relancegit.site.writer import SiteWriter, safe_id

if TYPE_CHECKING:
    from relancegit.site.site import Site

CasePage = Callable[[Any, CaseState], str]
CHUNK = 100  # cases rendered between two progress updates in one process


@dataclass
class Rendered:
    letters: dict[str, list[tuple[str, str]]]
    written: list[str]
    seen: list[str]
    unchanged: int
    skipped: int
    cases: int


def render_chunk(site: Site, states: list[CaseState], out_dir: Path, horizon: date, page: CasePage) -> Rendered:
    """Write the letters and pages (`page(site, state)`) of `states` into `out_dir`."""
    writer = SiteWriter(out_dir)
    rendered, skipped = previews.render_letters(site.ledger, states, site.today, writer, horizon)
    for state in states:
        site.letters[state.id] = rendered.get(state.id, [])
        writer.write(f"cases/{safe_id(state.id)}.html", page(site, state))
    return Rendered(
        letters=rendered,
        written=[str(p) for p in writer.result.written],
        seen=list(writer.seen),
        unchanged=writer.result.unchanged,
        skipped=skipped,
        cases=len(states),
    )


def merge(site: Site, writer: SiteWriter, part: Rendered) -> int:
    """Count a chunk's files and letters in the build's; how many cases it rendered."""
    site.letters.update(part.letters)
    writer.result.written.extend(Path(p) for p in part.written)
    writer.seen.update(part.seen)
    writer.result.unchanged += part.unchanged
    writer.result.letters_skipped += part.skipped
    return part.cases


def render_serially(
    site: Site, changed: list[CaseState], writer: SiteWriter, horizon: date, page: CasePage
) -> Iterator[int]:
    """`changed` rendered in this process, a chunk at a time; yields each chunk's case count."""
    for i in range(0, len(changed), CHUNK):
        yield merge(site, writer, render_chunk(site, changed[i : i + CHUNK], writer.out_dir, horizon, page))
