"""`relancegit match` fast (issue 17): the cached view of the ledger, the rows of unchanged case
files reused, the camt reader's lookups and a warm run without the model. Every fast path is
compared with the plain one: same proposals, same index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree
from test_match import FILES as WORKED_FILES

from relancegit import matching
from relancegit.cli import main
from relancegit.commands.matching import _cached_view
from relancegit.matching import camt
from relancegit.matching import index as match_index

TODAY = "2026-12-01"
DATA = Path(__file__).parent / "data" / "match"
CAMT_02 = DATA / "camt053-001-02.xml"
CAMT_08 = DATA / "camt053-001-08.xml"
DEMO_STATEMENT = DATA / "demo-statement.xml"
PAST = 1_700_000_000  # an mtime well out of the racy window

# Clients and cases of the worked examples (tests/test_match.py), and a second case of Roux.
FILES = {
    **{
        name: text
        for name, text in WORKED_FILES.items()
        if name
        in (
            "clients/bertin.yaml",
            "clients/lefort.yaml",
            "clients/roux.yaml",
            "cases/2026/2026-0060.yaml",
            "cases/2026/2026-0070.yaml",
            "cases/2026/2026-0080.yaml",
        )
    },
    "cases/2026/2026-0081.yaml": """\
        id: 2026-0081
        client: roux
        invoices:
          - {number: F2026-0081, date: 2026-10-22, due: 2026-11-21, amount: 250.00}
        """,
}


def statement(path: Path, entries: list[tuple[str, str, str, str]]) -> Path:
    """A camt.053.001.08 statement of credits: (bank ref, amount, debtor, remittance)."""
    body = "".join(
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        f"<BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls><TxDtls>"
        f"<RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr></RltdPties>"
        f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n"
        for ref, amount, name, text in entries
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>\n'
        "<Stmt><Id>S-1</Id><Acct><Ccy>EUR</Ccy></Acct>\n" + body + "</Stmt></BkToCstmrStmt></Document>\n",
        encoding="utf-8",
    )
    return path


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(root), "--today", TODAY, *args], catch_exceptions=False)


def proposals(root: Path, *args: str) -> list[dict[str, object]]:
    done = run(root, "--format", "json", "match", *args)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def settle(root: Path) -> None:
    """Every ledger file modified long ago: out of the racy window, so rows are kept."""
    for path in root.rglob("*.yaml"):
        os.utime(path, (PAST, PAST))


@pytest.fixture
def ledger(make_ledger, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("RELANCEGIT_NO_CACHE", raising=False)
    root = make_ledger(FILES)
    settle(root)
    return root


def test_an_invoice_paid_by_one_entry_is_not_open_to_the_next_from_the_cache(ledger, tmp_path, monkeypatch):
    # The first entry pays F2026-0060 by its number; the second names its case for 800.00, more
    # than the 450.00 left: ambiguous. The cached index once held each open invoice twice (by
    # number, and in its case), so the second entry saw 1250.00 due and paid F2026-0060 again.
    camt_file = statement(
        tmp_path / "two.xml",
        [("B-1", "800.00", "MENUISERIE BERTIN", "F2026-0060"), ("B-2", "800.00", "MENUISERIE BERTIN", "2026-0060")],
    )
    monkeypatch.setenv("RELANCEGIT_NO_CACHE", "1")
    plain = proposals(ledger, str(camt_file))
    monkeypatch.delenv("RELANCEGIT_NO_CACHE")
    first = proposals(ledger, str(camt_file))  # builds and stores the view
    warm = proposals(ledger, str(camt_file))  # from the cache

    assert [(r["case"], r["invoice"], r["confidence"]) for r in plain] == [
        ("2026-0060", "F2026-0060", "reference"),
        (None, None, "ambiguous"),
    ]
    assert plain[1]["reason"] == "2026-0060 in the remittance, but 800.00 is more than the 450.00 due"
    assert first == plain
    assert warm == plain


def test_the_cached_view_equals_a_fresh_one(ledger):
    today = date.fromisoformat(TODAY)
    fresh = matching.fresh_view(ledger, today)

    built = _cached_view(ledger, today)
    cached = _cached_view(ledger, today)

    assert fresh.config_valid
    assert fresh.currency == "EUR"
    assert sorted(fresh.index.by_case) == ["2026-0042", "2026-0060", "2026-0070", "2026-0080", "2026-0081"]
    assert built == fresh
    assert cached == fresh
    assert cached is not built  # read back from the cache, not the same object


def test_only_the_rows_of_changed_case_files_are_computed_again(ledger, monkeypatch):
    today = date.fromisoformat(TODAY)
    computed: list[str] = []
    real_row = match_index.case_row

    def counted(ledger_, case, today_):  # type: ignore[no-untyped-def]
        computed.append(case.id)
        return real_row(ledger_, case, today_)

    monkeypatch.setattr(match_index, "case_row", counted)
    _cached_view(ledger, today)
    assert len(computed) == 5  # every case, the first time
    case = ledger / "cases" / "2026" / "2026-0080.yaml"
    case.write_text(
        case.read_text(encoding="utf-8") + "events:\n  - {date: 2026-11-20, type: payment, amount: 100.00}\n",
        encoding="utf-8",
    )
    os.utime(case, (PAST + 60, PAST + 60))
    computed.clear()

    view = _cached_view(ledger, today)

    assert computed == ["2026-0080"]
    assert view == matching.fresh_view(ledger, today)
    assert view.index.balance[view.index.invoices["F2026-0080"]] == 500_00  # in cents


def test_rows_of_a_whole_load_are_kept_for_the_next_change(ledger, monkeypatch):
    from relancegit.commands import matching as command

    today = date.fromisoformat(TODAY)
    monkeypatch.setattr(command, "_FEW_ROWS", 0)  # five rows to compute: "most", the whole load
    loads: list[object] = []
    real_load = matching.loaded_view
    monkeypatch.setattr(matching, "loaded_view", lambda *a: loads.append(a) or real_load(*a))
    first = _cached_view(ledger, today)
    assert len(loads) == 1
    assert first == matching.fresh_view(ledger, today)
    monkeypatch.setattr(command, "_FEW_ROWS", 20)
    computed: list[str] = []
    real_row = match_index.case_row
    monkeypatch.setattr(
        match_index, "case_row", lambda led, case, t: computed.append(case.id) or real_row(led, case, t)
    )
    case = ledger / "cases" / "2026" / "2026-0060.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("450.00", "460.00"), encoding="utf-8")
    os.utime(case, (PAST + 60, PAST + 60))

    loads.clear()

    view = _cached_view(ledger, today)

    assert loads == []  # from check's outcomes this time
    assert computed == ["2026-0060"]
    assert view == matching.fresh_view(ledger, today)
    assert view.index.balance[view.index.invoices["F2026-0061"]] == 460_00  # in cents


def test_rows_are_computed_again_when_a_client_or_the_configuration_changes(ledger, tmp_path):
    camt_file = statement(tmp_path / "one.xml", [("B-1", "250.00", "IMPRIMERIE ROUX", "VIREMENT")])
    before = proposals(ledger, str(camt_file))
    assert (before[0]["case"], before[0]["confidence"]) == ("2026-0081", "amount+name")
    client = ledger / "clients" / "roux.yaml"
    client.write_text("id: roux\nname: Papeterie Vidal\n", encoding="utf-8")
    os.utime(client, (PAST + 60, PAST + 60))

    after = proposals(ledger, str(camt_file))

    assert (after[0]["case"], after[0]["confidence"], after[0]["reason"]) == (
        "2026-0081",
        "amount",
        "250.00 = invoice F2026-0081 of Papeterie Vidal; the name does not confirm it",
    )
    config = ledger / "relancegit.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "currency: CHF\n", encoding="utf-8")
    os.utime(config, (PAST + 120, PAST + 120))
    assert proposals(ledger, str(camt_file))[0]["reason"] == "in EUR, not the ledger's CHF"


@pytest.mark.parametrize("fixture", [CAMT_02, CAMT_08])
def test_the_worked_examples_are_the_same_warm_and_cold(make_ledger, monkeypatch, fixture):

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = make_ledger(WORKED_FILES)
    settle(root)
    monkeypatch.setenv("RELANCEGIT_NO_CACHE", "1")
    plain = run(root, "match", str(fixture))
    monkeypatch.delenv("RELANCEGIT_NO_CACHE")
    runs = [run(root, "match", str(fixture)) for _ in range(2)]

    assert all((r.exit_code, r.stdout, r.stderr) == (plain.exit_code, plain.stdout, plain.stderr) for r in runs)


def test_a_configuration_with_errors_is_refused_from_the_cache_too(ledger):
    config = ledger / "relancegit.yaml"
    config.write_text("currency: euros\n", encoding="utf-8")
    os.utime(config, (PAST + 60, PAST + 60))

    for _ in range(2):  # built, then cached
        done = run(ledger, "match", str(CAMT_02))
        assert done.exit_code == 1
        assert f"{config} has errors; run 'relancegit check' first" in done.stderr


# --- the view from check's outcomes ---------------------------------------------------------------


def test_the_view_from_check_equals_the_view_from_the_load_on_a_broken_ledger(tmp_path, monkeypatch):
    from conftest import DEMO_TODAY
    from test_speed_door import broken_ledger

    from relancegit.read.discover import ledger_file_names

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = broken_ledger(tmp_path / "broken")
    listing = ledger_file_names(root)
    fresh = matching.fresh_view(root, DEMO_TODAY)

    checked, rows = matching.checked_view(root, DEMO_TODAY, listing, lambda path: None)
    reused, again = matching.checked_view(root, DEMO_TODAY, listing, rows.get)

    assert fresh.left_out == 22  # each broken file, and every case of the client with an error
    assert checked == fresh
    assert reused == fresh
    assert again == rows
    assert len(rows) == sum(1 for kind, _ in fresh.index.refs.values() if kind == "case")  # one per kept case


def test_the_view_from_check_equals_the_view_from_the_load_on_the_demo(tmp_path, monkeypatch):
    import shutil

    from conftest import DEMO, DEMO_TODAY

    from relancegit.read.discover import ledger_file_names

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "ledger"
    shutil.copytree(DEMO, root)
    fresh = matching.fresh_view(root, DEMO_TODAY)

    checked, _ = matching.checked_view(root, DEMO_TODAY, ledger_file_names(root), lambda path: None)

    assert fresh.left_out == 0
    assert len(fresh.index.by_case) > 20
    assert checked == fresh


def test_a_case_broken_after_its_row_was_kept_is_left_out(ledger, tmp_path):
    camt_file = statement(tmp_path / "one.xml", [("B-1", "250.00", "IMPRIMERIE ROUX", "VIREMENT")])
    assert proposals(ledger, str(camt_file))[0]["case"] == "2026-0081"
    case = ledger / "cases" / "2026" / "2026-0081.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("amount: 250.00", "amount: -250.00"), encoding="utf-8")
    os.utime(case, (PAST + 60, PAST + 60))

    done = run(ledger, "--format", "json", "match", str(camt_file))

    assert done.exit_code == 1
    assert "1 ledger file(s) with errors left out; run 'relancegit check'" in done.stderr
    assert json.loads(done.stdout)[0]["reason"] == "no open amount of 250.00 for Imprimerie Roux"


# --- the camt reader's lookups -----------------------------------------------------------------

TREE = b"""<?xml version="1.0"?>
<Ntry xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08" xmlns:o="urn:other">
  <!-- a comment --><?pi data?>
  <RltdPties><Cdtr><Nm>first, no debtor</Nm></Cdtr></RltdPties>
  <RltdPties><Dbtr><Nm>second</Nm></Dbtr><Dbtr><Nm>third</Nm></Dbtr></RltdPties>
  <o:RltdPties><Dbtr><Nm>other namespace</Nm></Dbtr></o:RltdPties>
  <RmtInf><Ustrd>a</Ustrd><Strd><RfrdDocInf><Nb>1</Nb></RfrdDocInf><RfrdDocInf><Nb>2</Nb></RfrdDocInf></Strd>
    <Ustrd>b</Ustrd><Strd><CdtrRefInf><Ref>RF18</Ref></CdtrRefInf></Strd></RmtInf>
  <Sts>BOOK</Sts>
</Ntry>
"""
PATHS = [
    ("RltdPties",),
    ("RltdPties", "Dbtr", "Nm"),
    ("RltdPties", "Cdtr", "Nm"),
    ("RltdPties", "Dbtr"),
    ("RmtInf", "Strd", "RfrdDocInf", "Nb"),
    ("RmtInf", "Strd", "CdtrRefInf", "Ref"),
    ("Sts",),
    ("Sts", "Cd"),
    ("Missing", "Nm"),
]


@pytest.mark.parametrize("path", PATHS)
def test_an_element_found_by_path_is_the_one_lxml_finds(path):
    node = etree.fromstring(TREE)
    expected = node.find("/".join("{*}" + name for name in path))

    entry = camt._Entry(node)
    found = entry.at(0, path)

    assert (entry.nodes[found] if found >= 0 else None) is expected


def test_children_and_their_own_lookups_are_lxml_s():
    node = etree.fromstring(TREE)
    entry = camt._Entry(node)

    def elements(positions: tuple[int, ...]) -> list[object]:
        return [entry.nodes[k] for k in positions]

    for name in ("RltdPties", "RmtInf", "Sts", "Missing"):
        assert elements(entry.children(0, name)) == list(node.iterfind("{*}" + name))
    (remittance,) = entry.children(0, "RmtInf")
    assert [entry.text(u) for u in entry.children(remittance, "Ustrd")] == ["a", "b"]
    strd = entry.children(remittance, "Strd")
    assert [entry.text(d, ("Nb",)) for s in strd for d in entry.children(s, "RfrdDocInf")] == ["1", "2"]
    assert [entry.text(s, ("CdtrRefInf", "Ref")) for s in strd] == ["", "RF18"]
    parties = entry.children(0, "RltdPties")
    assert [entry.text(p, ("Dbtr", "Nm")) for p in parties] == ["", "second", "other namespace"]
    assert entry.text(0, ("RltdPties", "Dbtr", "Nm")) == "second"  # the first RltdPties that has one


def test_entries_of_one_shape_share_their_lookups_and_differ_in_values():
    first = camt._Entry(etree.fromstring(TREE))
    second = camt._Entry(etree.fromstring(TREE.replace(b"second", b"deuxieme")))
    other = camt._Entry(etree.fromstring(TREE.replace(b"<Sts>BOOK</Sts>", b"<Sts><Cd>BOOK</Cd></Sts>")))

    assert second.plan is first.plan
    assert other.plan is not first.plan
    assert first.text(0, ("RltdPties", "Dbtr", "Nm")) == "second"
    assert second.text(0, ("RltdPties", "Dbtr", "Nm")) == "deuxieme"
    assert (other.text(0, ("Sts", "Cd")), first.text(0, ("Sts", "Cd"))) == ("BOOK", "")


# --- a warm run imports neither the model nor what writes ----------------------------------------


def test_a_warm_match_imports_neither_pydantic_nor_the_engine_nor_apply(make_ledger, tmp_path):

    root = make_ledger(WORKED_FILES)
    settle(root)
    env = {**os.environ, "RELANCEGIT_NO_CACHE": "0", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    program = textwrap.dedent(
        """\
        import sys
        from relancegit.cli import main
        try:
            main(sys.argv[1:])
        except SystemExit:
            pass
        heavy = ("pydantic", "relancegit.model", "relancegit.engine", "relancegit.read.load",
                 "relancegit.matching.apply", "relancegit.write", "relancegit.importing.write")
        print("LOADED", sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)
        """
    )

    def match(statement: Path) -> subprocess.CompletedProcess[str]:
        args = ["--ledger", str(root), "--today", TODAY, "match", str(statement)]
        return subprocess.run(
            [sys.executable, "-c", program, *args], env=env, capture_output=True, text=True, check=False
        )

    cold = match(CAMT_02)  # loads the ledger, stores its view
    warm = match(CAMT_08)  # another statement: the stored view, matched afresh
    replayed = match(CAMT_08)  # the same statement, the same ledger: the output replayed

    assert "'pydantic'" in cold.stderr.splitlines()[-1]
    assert warm.stderr.splitlines()[-1] == "LOADED []"
    assert "2026-0060 in the remittance" in warm.stdout
    assert (replayed.stdout, replayed.stderr, replayed.returncode) == (warm.stdout, warm.stderr, warm.returncode)


def test_the_output_is_replayed_only_for_the_same_statement_bytes(ledger, tmp_path, monkeypatch):
    from relancegit.commands import matching as command

    camt_file = statement(tmp_path / "one.xml", [("B-1", "250.00", "IMPRIMERIE ROUX", "VIREMENT")])
    first = proposals(ledger, str(camt_file))
    assert proposals(ledger, str(camt_file)) == first
    statement(camt_file, [("B-1", "600.00", "IMPRIMERIE ROUX", "VIREMENT")])

    changed = proposals(ledger, str(camt_file))

    assert (first[0]["case"], first[0]["confidence"]) == ("2026-0081", "amount+name")
    assert (changed[0]["case"], changed[0]["confidence"]) == ("2026-0080", "amount+name")
    # A statement that changes between its digest and its reading is not printed (nor stored).
    monkeypatch.setattr(command, "_digests", lambda files: ["0" * 64])
    done = run(ledger, "match", str(camt_file))
    assert done.exit_code == 1
    assert "a bank statement changed while it was read; run 'relancegit match' again" in done.stderr
    assert done.stdout == ""


def test_a_client_written_twice_gives_the_same_view_from_check_as_from_the_load(ledger):
    from relancegit.read.discover import ledger_file_names

    (ledger / "clients" / "roux.yml").write_text("id: roux\nname: Imprimerie Roux bis\n", encoding="utf-8")
    today = date.fromisoformat(TODAY)
    fresh = matching.fresh_view(ledger, today)

    checked, _ = matching.checked_view(ledger, today, ledger_file_names(ledger), lambda path: None)

    assert fresh.left_out == 1
    assert checked == fresh


def test_a_piece_sent_as_plain_values_comes_back_the_same(ledger):
    pieces = list(matching.read_statements(ledger, date(2026, 11, 23), (CAMT_02, CAMT_08), None))
    assert sum(len(p.entries) for p in pieces) > 0 and any(p.file for p in pieces)

    assert [matching.Piece.from_plain(p.plain()) for p in pieces] == pieces


def test_the_view_kept_as_marshal_bytes_comes_back_equal_and_bad_bytes_are_refused(ledger):
    view = matching.fresh_view(ledger, date(2026, 11, 23))
    assert view.index.refs and view.index.amounts

    assert matching.LedgerView.loads(view.dumps()) == view
    for bad in (b"", b"not marshal", view.dumps()[:-40]):
        with pytest.raises(ValueError, match="not a ledger view"):
            matching.LedgerView.loads(bad)
