"""Terminal tables at 80, 100 and 120 columns, `--wide` and pipes, on the demo ledger.

Each command runs as a real process in a pseudo-terminal of the given width. Its text is
compared with the golden file under tests/golden/terminal/ (RELANCEGIT_UPDATE_GOLDEN=1
rewrites them, as for the letters), and checked against the command's own JSON: every case
id, date and amount is there, whole, on the row of its case, and no line is wider than the
terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import CASE, DEMO, DEMO_TODAY, LedgerFactory
from rich.cells import cell_len

from relancegit.cli import main
from relancegit.render import tables
from relancegit.render.formatting import date_short, money

GOLDEN = Path(__file__).parent / "golden" / "terminal"
UPDATE_GOLDEN = os.environ.get("RELANCEGIT_UPDATE_GOLDEN") == "1"
COMMANDS = {"list": ("list",), "next": ("next",), "show": ("show", "2026-0208"), "report": ("report",)}
WIDTHS = (80, 100, 120)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(columns: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RELANCEGIT_TODAY", "RELANCEGIT_LEDGER", "COLUMNS")}
    env.update({"RELANCEGIT_NO_CACHE": "1", "TERM": "xterm-256color"})
    env.pop("NO_COLOR", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return env


def _argv(args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "relancegit.cli", "--ledger", str(DEMO), "--today", DEMO_TODAY.isoformat(), *args]


def in_terminal(args: tuple[str, ...], width: int, columns: int | None = -1) -> str:
    """Standard output of relancegit in a pseudo-terminal `width` columns wide (COLUMNS set to
    `columns`, by default the same width; None leaves it unset), without colours."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    proc = subprocess.Popen(
        _argv(args),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=_env(width if columns == -1 else columns),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    text = ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def piped(args: tuple[str, ...]) -> str:
    proc = subprocess.run(_argv(args), capture_output=True, text=True, env=_env(80), check=True)
    return proc.stdout


class Screens(dict[tuple[str, int | str], "Future[str]"]):
    """Each command's text by (command, width or "wide"), run side by side; a failed run fails
    only the tests that read it."""

    def text(self, name: str, width: int | str) -> str:
        return self[name, width].result()


@pytest.fixture(scope="module")
def screens() -> Iterator[Screens]:
    """Every command at every width, and with --wide at 80 columns."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = Screens()
        for name, args in COMMANDS.items():
            for width in WIDTHS:
                runs[name, width] = pool.submit(in_terminal, args, width)
            runs[name, "wide"] = pool.submit(in_terminal, (*args, "--wide"), 80)
        yield runs


def as_json(args: tuple[str, ...]) -> object:
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None, "RELANCEGIT_NO_CACHE": "1"})
    result = runner.invoke(main, ["--ledger", str(DEMO), "--today", DEMO_TODAY.isoformat(), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _day(iso: str | None) -> list[str]:
    return [date_short(date.fromisoformat(iso))] if iso else []


def _amount(value: str | None) -> list[str]:
    return [money(Decimal(value))] if value is not None else []


def rows_expected(name: str) -> Iterator[tuple[str, list[str]]]:
    """(what starts a row, the ids, dates and amounts of the JSON output it must show whole)."""
    out = as_json(COMMANDS[name])
    if name == "list":
        assert isinstance(out, list)
        for case in out:
            action = case["next_action"] or {}
            yield case["id"], [case["id"], *_amount(case["balance"]), *_day(action.get("date"))]
    elif name == "next":
        assert isinstance(out, list)
        for row in out:
            yield row["case"], [*_day(row["date"]), row["case"], *_amount(row["balance"])]
    elif name == "show":
        assert isinstance(out, dict)
        yield out["id"], [out["id"]]
        yield "", _day(out["due"])
        for key in ("total", "paid", "balance"):
            yield "", _amount(out[key])
        for inv in out["invoices"]:
            cells = [inv["number"], *_day(inv["date"]), *_day(inv["due"]), *_amount(inv["amount"])]
            yield inv["number"], [*cells, *_amount(inv["balance"]), *_amount(inv["interest"])]
        for day in out["deadlines"].values():
            yield "", _day(day)
        yield "", _day(out["next_action"]["date"])
    else:
        assert isinstance(out, dict)
        yield "", _amount(out["outstanding"])
        yield "", _amount(out["overdue"])
        for amount in out["aging"].values():
            yield "", _amount(amount)
        for total in out["by_status"].values():
            if total["count"]:
                yield "", _amount(total["balance"])
        for exposure in out["exposure"]:
            yield "", _amount(exposure["exposure"]) + _amount(exposure["credit_limit"])


@pytest.mark.parametrize("width", [*WIDTHS, "wide"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_golden_screens(screens: Screens, name: str, width: int | str) -> None:
    text = screens.text(name, width)
    golden = GOLDEN / f"{name}-{width}.txt"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}: run with RELANCEGIT_UPDATE_GOLDEN=1"
    assert text == golden.read_text("utf-8"), f"{golden.name} differs (RELANCEGIT_UPDATE_GOLDEN=1 to regenerate)"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_lines_fit_the_terminal(screens: Screens, name: str, width: int) -> None:
    too_wide = [line for line in screens.text(name, width).splitlines() if cell_len(line) > width]
    assert too_wide == []


@pytest.mark.parametrize("width", [*WIDTHS, "wide"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_id_date_or_amount_is_cut(screens: Screens, name: str, width: int | str) -> None:
    lines = screens.text(name, width).splitlines()
    for start, tokens in rows_expected(name):
        # The row's first line holds them all: ids, dates and amounts never fold.
        rows = [line for line in lines if all(token in line for token in tokens) and start in line]
        assert rows, f"{tokens} not whole on one line at width {width}"
    assert "…" not in "\n".join(line for line in lines if "--client …" not in line)


def test_wide_keeps_every_column_on_one_line(screens: Screens) -> None:
    text = screens.text("next", "wide")
    header = text.splitlines()[1].split()
    assert header == ["Date", "Dossier", "Client", "Action", "Canal", "Solde", "Motif"]
    for row in as_json(("next",)):  # type: ignore[union-attr]
        assert any(row["case"] in line and line.rstrip().endswith(row["reason"]) for line in text.splitlines())
    assert max(cell_len(line) for line in text.splitlines()) > 120  # wider than the terminal: never folded


def test_reason_folds_in_words_or_goes_under_its_row(screens: Screens) -> None:
    for width in WIDTHS:
        lines = screens.text("next", width).splitlines()
        for row in as_json(("next",)):  # type: ignore[union-attr]
            at = next(i for i, line in enumerate(lines) if row["case"] in line)
            rest = lines[at + 1 :]
            own = lines[at : at + 1 + next(i for i, line in enumerate(rest) if not line.startswith("   "))]
            if "Motif" in lines[1]:  # folded in its column, several words a line
                column = lines[1].index("Motif")
                pieces = [line[column:].strip() for line in own if line[column:].strip()]
            else:  # under its row, indented
                pieces = [line.strip() for line in own[1:] if re.match(r" {4}\S", line)]
            assert " ".join(pieces) == row["reason"], (width, pieces)
            assert all(" " in piece for piece in pieces[:-1]), (width, pieces)


def test_the_width_comes_from_the_terminal_without_columns(screens: Screens) -> None:
    assert in_terminal(COMMANDS["list"], 80, columns=None) == screens.text("list", 80)
    assert in_terminal(COMMANDS["list"], 200, columns=80) == screens.text("list", 80)  # COLUMNS overrides


@pytest.mark.parametrize("name", list(COMMANDS))
def test_pipes_keep_the_full_width(name: str) -> None:
    """Not a terminal: 200 columns whatever COLUMNS says (the layout scripts read before the
    terminal layout existed; only the demo's data and the report's client names changed them)."""
    golden = GOLDEN / f"{name}-pipe.txt"
    text = piped(COMMANDS[name])
    if UPDATE_GOLDEN:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text("utf-8")


def test_wrap_breaks_at_plain_spaces_only() -> None:
    amount = money(Decimal("23688"))  # narrow no-break space inside, no-break space before €
    assert tables.wrap(f"total {amount} dû", 8) == ["total", amount, "dû"]
    assert tables.wrap("2026-0158, 2026-0240", 4) == ["2026-0158,", "2026-0240"]  # never cut


def test_report_names_clients_with_the_id_when_names_clash() -> None:
    named = tables.client_labels({"roux": "Imprimerie Roux SARL", "roux-2": "IMPRIMERIE ROUX SARL", "acme": "ACME"})
    assert named == {
        "roux": "Imprimerie Roux SARL (roux)",
        "roux-2": "IMPRIMERIE ROUX SARL (roux-2)",
        "acme": "ACME",
    }


def test_a_very_narrow_terminal_drops_columns_but_never_cuts() -> None:
    from relancegit.engine.state import agenda, compute_all
    from relancegit.read.load import load_ledger

    states = compute_all(load_ledger(DEMO, DEMO_TODAY).ledger, DEMO_TODAY)
    due = agenda(states, DEMO_TODAY, 0)
    text = tables.render(tables.next_text(due, DEMO_TODAY, states), width=40)
    header = text.splitlines()[1].split()
    # The reason under the rows, channel then client dropped; the rest, wider than 40
    # columns, is left for the terminal to wrap rather than cut.
    assert header == ["Date", "Dossier", "Action", "Solde"]
    assert "\n    échéancier du 25/09 non respecté\n" in text
    for s in due:
        assert any(s.id in line and money(s.balance) in line for line in text.splitlines())
    assert "…" not in text.replace("--client …", "")


BELLECOUR = """\
id: hotel-bellecour
name: Hôtel Bellecour SAS
credit_limit: 500
"""
BELLECOUR_CASE = CASE.replace("2026-0042", "2026-0050").replace("client: acme", "client: hotel-bellecour")


def run_cli(root: Path, *args: str) -> Result:
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None, "RELANCEGIT_NO_CACHE": "1"})
    return runner.invoke(main, ["--ledger", str(root), "--today", "2026-11-23", *args], catch_exceptions=False)


def test_report_names_clients_and_json_keeps_ids(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger({"clients/hotel-bellecour.yaml": BELLECOUR, "cases/2026/2026-0050.yaml": BELLECOUR_CASE})
    text = run_cli(ledger, "report").stdout
    out = json.loads(run_cli(ledger, "report", "--format", "json").stdout)
    names = {"acme": "ACME Industrie SAS", "hotel-bellecour": "Hôtel Bellecour SAS"}  # as in the client files
    assert sorted(e["client"] for e in out["exposure"]) == sorted(names)  # JSON keeps the ids
    shown = [line.split("  ")[0] for line in text.splitlines() if line.startswith(tuple(names.values()))]
    assert shown == [names[e["client"]] for e in out["exposure"]]
    assert "dépassé" in next(line for line in text.splitlines() if line.startswith("Hôtel Bellecour SAS"))
    assert "hotel-bellecour" not in text and "acme" not in text.replace("ACME", "")


def test_report_adds_the_id_when_two_clients_share_a_name(make_ledger: LedgerFactory) -> None:
    twin = "id: acme-2\nname: acme industrie sas\n"
    case = CASE.replace("2026-0042", "2026-0043").replace("client: acme", "client: acme-2")
    root = make_ledger({"clients/acme-2.yaml": twin, "cases/2026/2026-0043.yaml": case})
    text = run_cli(root, "report").stdout
    assert "ACME Industrie SAS (acme) " in text and "acme industrie sas (acme-2) " in text


def test_cell_width_fast_path_agrees_with_rich():
    """The table's own cell width skips rich's per-character lookup for the characters it
    takes as one cell wide: each of them is one cell for rich, and whole texts (French,
    wide, combining, control, emoji) measure the same either way."""
    from relancegit.render import tables

    singles = [chr(c) for c in range(0x10000) if tables._ONE_CELL.fullmatch(chr(c))]
    assert len(singles) > 700 and all(cell_len(ch) == 1 for ch in singles)
    samples = [
        "",
        "1\u202f200,00\u00a0€",
        "Société Générale d'Études — « relance »",
        "mise en demeure\u2026",
        "株式会社",
        "e\u0301",
        "tab\there",
        "😀 emoji",
        "\u200bzero width",
        "x" * 600,
        "é" * 600 + "株",
    ]
    for text in samples:
        assert tables.cell_len(text) == cell_len(text), text
