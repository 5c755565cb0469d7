"""Incremental builds: a page is rendered again exactly when one of its inputs changed."""

from __future__ import annotations

import importlib
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import DEMO, DEMO_TODAY

from relancegit.read.load import load_ledger
from relancegit.site import writer as writer_module
from relancegit.speed import pages as speed_pages

site_module = importlib.import_module("relancegit.site.site")


def settle(path: Path) -> None:
    """An edited file made to look edited a minute ago (see `age_files`)."""
    past = time.time() - 60
    os.utime(path, (past, past))


def age_files(root: Path) -> None:
    """Make the ledger's files look edited a minute ago, outside the racy window.

    A page's key holds its files' stamps, plus their content digest when a file changed within
    `cache.RACY_SECONDS` of the build (git's racily-clean rule). A build made right after an edit
    and one made seconds later therefore key the same unchanged input differently in the
    manifest, while rendering the same pages. Tests that compare manifests age the files first,
    so the comparison depends on the inputs, not on how fast the machine ran the builds.
    """
    past = time.time() - 60
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo" / "ledger"
    shutil.copytree(DEMO, root)
    age_files(root)
    return root


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The case ids whose page is rendered during the test."""
    calls: list[str] = []
    original = site_module.case_page

    def spy(site, state):
        calls.append(state.id)
        return original(site, state)

    monkeypatch.setattr(site_module, "case_page", spy)
    return calls


def build(ledger, today, out: Path, **options):
    """The site built as `relancegit build` builds it with the speed door open."""
    return site_module.write_site(ledger, today, out, pages=speed_pages.Incremental(), **options)


def run(root: Path, out: Path):
    return build(load_ledger(root, DEMO_TODAY).ledger, DEMO_TODAY, out)


def test_rebuild_with_nothing_changed_renders_no_case_page(demo_copy: Path, tmp_path: Path, rendered: list[str]):
    out = tmp_path / "site"
    run(demo_copy, out)
    assert len(rendered) == 41
    rendered.clear()
    result = run(demo_copy, out)
    assert rendered == []
    assert [p.name for p in result.written] == []  # not even the manifest changed


def test_changed_case_is_rendered_again_and_only_it(demo_copy: Path, tmp_path: Path, rendered: list[str]):
    out = tmp_path / "site"
    run(demo_copy, out)
    rendered.clear()
    path = demo_copy / "cases/2026/2026-0256.yaml"
    path.write_text(path.read_text() + "  - {date: 2026-11-23, type: payment, amount: 1000, ref: VIR-INCR}\n")
    result = run(demo_copy, out)
    assert rendered == ["2026-0256"]
    page = (out / "cases/2026-0256.html").read_text()
    assert "VIR-INCR" in page
    written = {p.relative_to(out.resolve()).as_posix() for p in result.written}
    assert "cases/2026-0256.html" in written and "index.html" in written
    assert not any(name.startswith("cases/2026-02") and name != "cases/2026-0256.html" for name in written)


def test_client_change_renders_its_cases(demo_copy: Path, tmp_path: Path, rendered: list[str]):
    out = tmp_path / "site"
    run(demo_copy, out)
    rendered.clear()
    client = demo_copy / "clients/imprimerie-roux.yaml"
    client.write_text(client.read_text().replace("Imprimerie Roux SARL", "Imprimerie Roux & Fils SARL"))
    run(demo_copy, out)
    ledger = load_ledger(demo_copy, DEMO_TODAY).ledger
    expected = sorted(c.id for c in ledger.cases.values() if c.client == "imprimerie-roux")
    assert sorted(rendered) == expected
    assert "Imprimerie Roux &amp; Fils SARL" in (out / f"cases/{expected[0]}.html").read_text()


def test_deleted_page_or_damaged_manifest_is_rebuilt(demo_copy: Path, tmp_path: Path, rendered: list[str]):
    out = tmp_path / "site"
    run(demo_copy, out)
    (out / "cases/2026-0220.html").unlink()
    rendered.clear()
    run(demo_copy, out)
    assert rendered == ["2026-0220"]
    assert (out / "cases/2026-0220.html").is_file()
    (out / speed_pages.MANIFEST).write_text("{not json")
    rendered.clear()
    run(demo_copy, out)
    assert len(rendered) == 41


def test_today_and_templates_are_inputs(demo_copy: Path, tmp_path: Path, rendered: list[str]):
    out = tmp_path / "site"
    run(demo_copy, out)
    rendered.clear()
    build(load_ledger(demo_copy, DEMO_TODAY).ledger, DEMO_TODAY.replace(day=24), out)
    assert len(rendered) == 41
    rendered.clear()
    override = demo_copy.parent / "templates" / "site"
    override.mkdir(parents=True)
    source = Path(site_module.templating.packaged_dir("templates")) / "site" / "case.html.j2"
    custom = source.read_text().replace("{% block main %}\n", "{% block main %}\n<!-- custom -->\n", 1)
    assert "<!-- custom -->" in custom
    (override / "case.html.j2").write_text(custom)
    run(demo_copy, out)
    assert len(rendered) == 41
    assert "<!-- custom -->" in (out / "cases/2026-0220.html").read_text()


def test_incremental_site_equals_a_fresh_build(demo_copy: Path, tmp_path: Path):
    out = tmp_path / "site"
    run(demo_copy, out)
    path = (
        demo_copy / "cases/2026-0248.yaml"
        if (demo_copy / "cases/2026-0248.yaml").exists()
        else next(demo_copy.rglob("2026-0248.yaml"))
    )
    path.write_text(path.read_text() + "  - {date: 2026-11-23, type: note, note: incremental}\n")
    settle(path)  # the manifests compared below must not depend on the racy window
    run(demo_copy, out)
    fresh = tmp_path / "fresh"
    run(demo_copy, fresh)
    files = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for name in files:
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_edit_within_the_racy_window_is_seen_and_pages_match(demo_copy: Path, tmp_path: Path, rendered: list[str]):
    """An edit that keeps the file's size and mtime (same clock tick) is still seen, because
    pages are keyed by their files' contents; a build seconds later renders the same pages and
    the same manifest, byte for byte (stamps are in no key)."""
    out = tmp_path / "site"
    path = demo_copy / "cases/2026/2026-0256.yaml"
    original = path.read_text()
    soon = time.time() + 3600
    os.utime(path, (soon, soon))  # racy for both builds, however slow the machine
    run(demo_copy, out)
    stat = path.stat()
    edited = original.replace("amount: 1728.00", "amount: 2728.00", 1) if "amount: 1728.00" in original else None
    assert edited is not None and len(edited) == len(original)
    path.write_text(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    rendered.clear()
    run(demo_copy, out)
    assert rendered == ["2026-0256"]
    age_files(demo_copy)
    fresh = tmp_path / "fresh"
    run(demo_copy, fresh)
    racy, settled = site_files(out), site_files(fresh)
    assert racy.keys() == settled.keys()
    assert [name for name in racy if racy[name] != settled[name]] == []


def site_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_pages_rendered_in_worker_processes_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Rendering the case pages and letters across processes changes no byte of the site."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    root = generate(120, tmp_path / "gen", DEMO_TODAY, seed=11)
    age_files(root)  # the two manifests compared must not depend on the racy window
    ledger = load_ledger(root, DEMO_TODAY).ledger
    monkeypatch.setattr(speed_pages, "worker_count", lambda: 1)
    serial = build(ledger, DEMO_TODAY, tmp_path / "serial")
    monkeypatch.setattr(speed_pages, "worker_count", lambda: 2)
    monkeypatch.setattr(speed_pages, "RENDER_PARALLEL_MIN", 1)
    steps: list[tuple[int, int]] = []
    parallel = build(ledger, DEMO_TODAY, tmp_path / "parallel", progress=lambda n, total: steps.append((n, total)))
    assert site_files(tmp_path / "serial") == site_files(tmp_path / "parallel")
    assert len(parallel.written) == len(serial.written) > 120
    assert any(name.startswith("letters/") for name in site_files(tmp_path / "parallel"))
    # progress only grows, and ends at its total
    assert [n for n, _ in steps] == sorted(n for n, _ in steps)
    assert steps[-1][0] == steps[-1][1]


def test_case_list_pages_follow_their_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A page of the case list is rendered again when one of its cases, the status counts or
    the clients change; and whatever changed, the rebuilt site equals a build from scratch."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    root = generate(450, tmp_path / "gen", DEMO_TODAY, seed=4)  # 3 list pages of 200
    age_files(root)
    listed: list[int] = []
    original = site_module.cases_page

    def spy(site, chunk, number, pages):
        listed.append(number)
        return original(site, chunk, number, pages)

    monkeypatch.setattr(site_module, "cases_page", spy)
    out = tmp_path / "site"
    run(root, out)
    assert listed == [1, 2, 3]

    def rebuilt_equals_fresh() -> None:
        listed.clear()
        run(root, out)
        once = sorted(listed)
        fresh = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
        run(root, fresh)
        assert site_files(out) == site_files(fresh)
        listed[:] = once

    rebuilt_equals_fresh()
    assert listed == []  # nothing changed

    ledger = load_ledger(root, DEMO_TODAY).ledger
    states = site_module.compute_all(ledger, DEMO_TODAY)
    last_page = site_module.case_list_pages(states)[2]
    case = ledger.case_files[last_page[0].id]
    case.write_text(case.read_text() + "  - {date: 2026-11-20, type: note, note: list page test}\n")
    settle(case)  # the manifests compared must not depend on the racy window
    rebuilt_equals_fresh()
    assert listed == [3]  # a note changes the case's row inputs, not its place or the counts

    open_case = next(s for s in site_module.case_order(states) if s.is_open)
    path = ledger.case_files[open_case.id]
    path.write_text(path.read_text() + f"  - {{date: 2026-11-20, type: payment, amount: {open_case.balance}}}\n")
    settle(path)
    rebuilt_equals_fresh()
    assert listed == [1, 2, 3]  # paid: the status counts changed, every page shows them


def test_a_link_in_place_of_a_page_is_replaced_never_followed(demo_copy: Path, tmp_path: Path):
    """A symbolic link planted where a page was is not kept as the page: the page is written
    again in its place, and what the link pointed to is untouched."""
    out = tmp_path / "site"
    run(demo_copy, out)
    outside = tmp_path / "outside.txt"
    outside.write_text("not the site's", encoding="utf-8")
    page = out / "cases/2026-0220.html"
    page.unlink()
    page.symlink_to(outside)
    run(demo_copy, out)
    assert not page.is_symlink() and "2026-0220" in page.read_text(encoding="utf-8")
    assert outside.read_text(encoding="utf-8") == "not the site's"


def test_writes_stay_in_the_output_folder(tmp_path: Path):
    writer = writer_module.SiteWriter(tmp_path / "site")
    for bad in ("../x.html", "/etc/x.html", "cases/../../x.html", "cases/..", "a\\\\b.html", ""):
        with pytest.raises(writer_module.UnsafeOutput):
            writer.write(bad, "x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "cases").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(writer_module.UnsafeOutput):
        writer.write("cases/x.html", "x")  # a folder that leads outside
    assert not list((tmp_path / "elsewhere").iterdir())


def cli_build(root: Path, out: Path, no_cache: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """`relancegit build` as a user runs it, with the speed door open or closed."""
    from click.testing import CliRunner

    from relancegit.cli import main

    if no_cache:
        monkeypatch.setenv("RELANCEGIT_NO_CACHE", "1")
    else:
        monkeypatch.delenv("RELANCEGIT_NO_CACHE", raising=False)
    args = ["--ledger", str(root), "--today", DEMO_TODAY.isoformat(), "build", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("size", [0, 300])
def test_site_is_the_same_with_the_speed_door_open_or_closed(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: list[str]
):
    """The demo site, and a generated ledger large enough for the render workers to run: every
    file is the same byte for byte whether `build` runs incremental and across processes or,
    with RELANCEGIT_NO_CACHE=1, renders everything in one process. The manifest of kept pages is
    the speed side's own file: written with the door open, removed with it closed."""
    import sys

    if size:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
        from generate import generate

        root = generate(size, tmp_path / "gen", DEMO_TODAY, seed=5)
    else:
        root = tmp_path / "repo" / "ledger"
        shutil.copytree(DEMO, root)
    age_files(root)
    # Workers run even on one core; each chunk rendered records its process id.
    pids = tmp_path / "pids"
    render_chunk = speed_pages.render_chunk

    def spy(*args):
        with pids.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return render_chunk(*args)

    monkeypatch.setattr(speed_pages, "worker_count", lambda: 2)
    monkeypatch.setattr(speed_pages, "render_chunk", spy)

    cli_build(root, tmp_path / "open", no_cache=False, monkeypatch=monkeypatch)
    cli_build(root, tmp_path / "closed", no_cache=True, monkeypatch=monkeypatch)
    opened, closed = site_files(tmp_path / "open"), site_files(tmp_path / "closed")
    workers = {int(line) for line in pids.read_text().split()} if pids.exists() else set()
    assert bool(workers) == (size >= speed_pages.RENDER_PARALLEL_MIN)
    assert os.getpid() not in workers
    assert sorted(opened.keys() - closed.keys()) == [speed_pages.MANIFEST]
    assert not closed.keys() - opened.keys()
    assert len(closed) > size
    for name in closed:
        assert opened[name] == closed[name], name

    # Closed, the door keeps nothing: every case page rendered again, and the manifest of the
    # open build removed, so that no later incremental build trusts pages it did not see.
    # (the spy of the case pages counts this process's renders, not the workers')
    assert len(rendered) == (size if workers else 2 * 41)
    rendered.clear()
    cli_build(root, tmp_path / "open", no_cache=False, monkeypatch=monkeypatch)
    assert rendered == []
    cli_build(root, tmp_path / "open", no_cache=True, monkeypatch=monkeypatch)
    assert len(rendered) == (size or 41)
    assert site_files(tmp_path / "open") == closed
