"""Benchmark of `relancegit match`: a 5,000-entry camt.053 statement against a 10,000-case
ledger, against a warm `check` of the same ledger (issue 17: at most 2x).

    python bench/match_bench.py [--cases 10000] [--entries 5000] [--repeat 3]

The ledger is generated (bench/generate.py); the statement's entries are drawn from its open
invoices: a third name the invoice in the remittance, a third pay an invoice's exact balance
from the client's name, the rest are amounts nothing fits. `check` is run once to warm the
cache, then `check` and `match` (no --apply) are timed, each as a fresh process: with nothing
changed (both replay their output), with a statement not matched before (match reuses its
cached view of the ledger; each run beside a `check`, as the machine's speed drifts), then
each after one case changed (match rebuilds its view from check's per-file outcomes).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

from relancegit.engine.state import compute_all
from relancegit.read.load import load_ledger

TODAY = "2026-11-23"


def open_invoices(ledger: Path) -> list[tuple[str, str, str]]:
    """(invoice number, balance, client name) of every open invoice."""
    states = compute_all(load_ledger(ledger, date.fromisoformat(TODAY)).ledger, date.fromisoformat(TODAY))
    return [
        (item.invoice.number, f"{item.balance:.2f}", state.client.name)
        for state in states
        if state.is_open
        for item in state.allocation.invoices
        if item.balance > 0
    ]


def write_camt(path: Path, invoices: list[tuple[str, str, str]], n: int, seed: int) -> None:
    rng = random.Random(seed)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>',
        "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-23T20:00:00</CreDtTm></GrpHdr>",
        "<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>FR7610278073400002041980137</IBAN></Id><Ccy>EUR</Ccy></Acct>",
    ]
    picked = rng.sample(invoices, min(len(invoices), n))
    for k in range(n):
        number, amount, name = picked[k % len(picked)]
        if k % 3 == 0:
            text = f"FACTURE {number}"
        elif k % 3 == 1:
            text = "VIREMENT"
        else:
            amount, name, text = f"{rng.randint(100, 99999)}.{rng.randint(0, 99):02d}", "SCI DU PARC", "LOYER"
        out.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f"<BookgDt><Dt>{TODAY}</Dt></BookgDt><AcctSvcrRef>BENCH-{k:06d}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RltdPties><Dbtr><Pty><Nm>{escape(name.upper())}</Nm></Pty></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    out.append("</Stmt></BkToCstmrStmt></Document>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:6])}… failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ledger = generate(args.cases, work / "base", date.fromisoformat(TODAY))
        statement = work / "statement.xml"
        write_camt(statement, open_invoices(ledger), args.entries, seed=7)
        os.environ.pop("RELANCEGIT_NO_CACHE", None)
        common = ["relancegit", "--ledger", str(ledger), "--today", TODAY]
        timed([*common, "check"])  # warms the parse cache (and check's stored output)
        checks = [timed([*common, "check"]) for _ in range(args.repeat)]
        matches = [timed([*common, "match", str(statement)]) for _ in range(args.repeat)]
        check, match = statistics.median(checks), statistics.median(matches)
        unseen, beside = [], []
        for round_ in range(args.repeat):  # a statement not matched before: its output is not replayed
            with statement.open("a", encoding="utf-8") as handle:
                handle.write(f"<!-- bench {round_} -->\n")
            unseen.append(timed([*common, "match", str(statement)]))
            beside.append(timed([*common, "check"]))  # the check of the same moment (a noisy machine)
        new_statement = statistics.median(unseen)
        paired = statistics.median(m / c for m, c in zip(unseen, beside, strict=True))
        case = next(iter(sorted((ledger / "cases").rglob("*.yaml"))))
        changed_checks, changed_matches = [], []
        for round_ in range(args.repeat):  # one case changed: check's output and match's index are rebuilt
            with case.open("a", encoding="utf-8") as handle:
                handle.write(f"# bench {round_}\n")
            changed_checks.append(timed([*common, "check"]))
            with case.open("a", encoding="utf-8") as handle:
                handle.write(f"# bench {round_}b\n")
            changed_matches.append(timed([*common, "match", str(statement)]))
        changed_check, changed_match = statistics.median(changed_checks), statistics.median(changed_matches)
        print(  # noqa: T201
            f"{args.entries} entries against {args.cases} cases, median of {args.repeat}:\n"
            f"  nothing changed:  check {check:.2f} s (replayed), match {match:.2f} s (replayed), "
            f"ratio {match / check:.2f}\n"
            f"  a new statement:  check {statistics.median(beside):.2f} s (replayed), match {new_statement:.2f} s "
            f"(index cached), ratio {new_statement / statistics.median(beside):.2f} "
            f"(median of the ratios of runs side by side: {paired:.2f})\n"
            f"  one case changed: check {changed_check:.2f} s, match {changed_match:.2f} s (index rebuilt), "
            f"ratio {changed_match / changed_check:.2f}"
        )


if __name__ == "__main__":
    main()
