"""Incremental dashboard builds: which pages of the previous build stay, and the changed cases
rendered across the cores.

Layer: speed (behind the door of `speed/__init__.py`), used by the command layer, which hands
`keeper(out_dir)` to `site.write_site`. The site says what each page depends on
(`Depends`: files and values); here each page gets a key from them (the files' contents
digests, not their stamps, so a fresh checkout keeps the pages; and relancegit's code). The
previous build's keys are kept in MANIFEST, in the output folder: a page whose key did not
change is neither rendered nor rewritten.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from relancegit import speed
from relancegit.site.casepages import CasePage, Rendered, merge, render_chunk, render_serially
from relancegit.site.writer import MARKER, OutputNotWritable, SiteWriter
from relancegit.speed import cache
from relancegit.speed.pool import worker_count

if TYPE_CHECKING:
    from relancegit.engine.state import CaseState
    from relancegit.site.site import Depends, Letters, Pages, Site

MANIFEST = ".relancegit-build.json"
_MANIFEST_VERSION = 2  # 2: pages keyed by contents digests
RENDER_PARALLEL_MIN = 200  # fewer changed cases render faster than workers start


def keeper(out_dir: Path, ledger_root: Path | None = None) -> Pages | None:
    """What `write_site` is handed: the incremental builder when the door is open. With it
    closed, None (every page rendered, in one process), and the previous build's manifest
    removed so that no later incremental build trusts pages it did not see written."""
    if speed.enabled():
        return Incremental(ledger_root)
    if (out_dir / MARKER).is_file():
        try:
            (out_dir / MANIFEST).unlink(missing_ok=True)
        except OSError as exc:  # a read-only site folder: one line, as when writing a page
            raise OutputNotWritable(out_dir / MANIFEST, exc) from None
    return None


def _key(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class Manifest:
    pages: dict[str, str] = field(default_factory=dict)  # relative path -> input key
    letters: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # case -> [(step, path)]

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        try:
            raw = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
            if raw.get("version") != _MANIFEST_VERSION:
                return cls()
            letters = {case: [(str(a), str(b)) for a, b in items] for case, items in raw["letters"].items()}
            return cls({str(k): str(v) for k, v in raw["pages"].items()}, letters)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()  # no manifest or a damaged one: everything is rendered

    def text(self) -> str:
        return json.dumps({"version": _MANIFEST_VERSION, "pages": self.pages, "letters": self.letters}, sort_keys=True)


class Incremental:
    """The `site.site.Pages` of an incremental build: pages whose key is the previous
    build's stay; the changed cases are rendered by forked workers when there are many."""

    def __init__(self, ledger_root: Path | None = None) -> None:
        self.root = ledger_root  # files under it are named relative to it in the keys
        self.previous = Manifest()
        self.current = Manifest()
        self.base = ""
        self.stamps: dict[Path | None, str] = {}
        self._writer: SiteWriter | None = None

    @property
    def writer(self) -> SiteWriter:
        assert self._writer is not None, "begin() first"
        return self._writer

    def begin(self, writer: SiteWriter, common: Depends) -> None:
        self._writer = writer
        self.previous = Manifest.read(writer.out_dir)
        self.current = Manifest()
        self.base = _key(cache.code_fingerprint(), self._inputs(common))

    def _stamp(self, path: Path | None) -> str:
        """A file's key: its name and content digest, read once per build."""
        found = self.stamps.get(path)
        if found is None:
            found = self.stamps[path] = _stamp(path, self.root)
        return found

    def _inputs(self, depends: Depends) -> tuple[object, ...]:
        pages = [self.current.pages[name] for name in depends.pages]
        return ([self._stamp(path) for path in depends.files], depends.values, pages)

    def _page_key(self, relative: str, depends: Depends) -> str:
        key = self.current.pages[relative] = _key(self.base, self._inputs(depends))
        return key

    def keep_case(self, case_id: str, relative: str, depends: Depends) -> Letters | None:
        key = self._page_key(relative, depends)
        kept_letters = self.previous.letters.get(case_id, [])
        if self.previous.pages.get(relative) == key and all(
            self.writer.keep(path) for path in [relative, *(p for _, p in kept_letters)]
        ):
            return kept_letters
        return None

    def keep(self, relative: str, depends: Depends) -> bool:
        key = self._page_key(relative, depends)
        return self.previous.pages.get(relative) == key and self.writer.keep(relative)

    def render_cases(
        self, site: Site, changed: list[CaseState], writer: SiteWriter, horizon: date, page: CasePage
    ) -> Iterator[int]:
        return render_in_workers(site, changed, writer, horizon, page)

    def end(self, letters: dict[str, Letters]) -> None:
        self.current.letters = {case: items for case, items in letters.items() if items}
        self.writer.write(MANIFEST, self.current.text())


def _stamp(path: Path | None, root: Path | None = None) -> str:
    """A file's name (relative to the ledger folder) and content digest: the same ledger gives
    the same keys in any checkout under any stamps, so a site restored next to a fresh clone
    (a CI cache) keeps its pages."""
    if path is None:
        return "-"
    name = path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else str(path)
    try:
        return f"{name}:{cache.digest(path.read_bytes()).hex()}"
    except OSError:
        return f"{name}:missing"


# Forked workers inherit the site (ledger, states, figures, compiled templates); each renders a
# chunk of cases, writes its files itself and sends back only names and counts.
_RENDERING: tuple[Site, dict[str, CaseState], Path, date, CasePage] | None = None


def render_in_workers(
    site: Site, changed: list[CaseState], writer: SiteWriter, horizon: date, page: CasePage
) -> Iterator[int]:
    """The changed cases' letters and pages, across the cores when there are many."""
    global _RENDERING
    workers = worker_count()
    if workers < 2 or len(changed) < RENDER_PARALLEL_MIN:
        yield from render_serially(site, changed, writer, horizon, page)
        return
    ids = [state.id for state in changed]
    size = max(1, -(-len(ids) // (workers * 8)))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    _RENDERING = (site, {s.id: s for s in changed}, writer.out_dir, horizon, page)
    try:
        try:
            pool = multiprocessing.get_context("fork").Pool(workers)
        except OSError:  # no fork or no semaphores here (some sandboxes): render in this process
            for chunk in chunks:
                yield merge(site, writer, _render_ids(chunk))
            return
        with pool:
            for part in pool.imap_unordered(_render_ids, chunks):
                yield merge(site, writer, part)
    finally:
        _RENDERING = None


def _render_ids(ids: list[str]) -> Rendered:
    assert _RENDERING is not None
    site, by_id, out_dir, horizon, page = _RENDERING
    return render_chunk(site, [by_id[i] for i in ids], out_dir, horizon, page)
