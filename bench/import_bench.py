"""Benchmark of `relancegit import`: 10,000 open invoices from a CSV export and from a FEC into
a 10,000-case ledger, against a cold `check` of the resulting ledger (issue 16: at most 2x).

    python bench/import_bench.py [--cases 10000] [--invoices 10000] [--repeat 3]

Each run copies a fresh generated ledger (bench/generate.py), imports as a fresh process with
no cache yet (the user's first import), then runs `check` cold (its cache removed) on the result. Half the
invoices go to the ledger's existing clients (matched by name), half to 500 new clients.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

TODAY = "2026-11-23"
FEC_HEADER = (
    "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|"
    "PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise"
)


def _names(ledger: Path) -> list[str]:
    names = []
    for path in sorted((ledger / "clients").glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("name: "):
                names.append(line[6:])
    return names


def _invoices(n: int, existing: list[str], seed: int) -> list[tuple[str, date, str, int]]:
    rng = random.Random(seed)
    today = date.fromisoformat(TODAY)
    rows = []
    for k in range(n):
        client = rng.choice(existing) if k % 2 == 0 else f"Nouveau Client {k % 500} SARL"
        issued = today - timedelta(days=rng.randint(0, 400))
        rows.append((f"IMP-{k:06d}", issued, client, rng.randint(12000, 2_400_000)))
    return rows


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def write_csv(path: Path, rows: list[tuple[str, date, str, int]]) -> None:
    lines = ["N° facture;Date;Échéance;Montant TTC;Montant HT;Client"]
    for number, day, client, cents in rows:
        due = day + timedelta(days=30)
        lines.append(f"{number};{day:%d/%m/%Y};{due:%d/%m/%Y};{_euros(cents)};{_euros(cents * 5 // 6)};{client}")
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))


def write_fec(path: Path, rows: list[tuple[str, date, str, int]]) -> None:
    """Each invoice in the sales journal (411/706/44571); one in five paid and lettered in the
    bank journal, one in ten partly paid (lettered), the rest open."""
    lines = [FEC_HEADER]
    accounts: dict[str, str] = {}

    def line(journal: str, entry: str, d: str, account: str, aux: str, name: str, piece: str, *rest: str) -> None:
        label = {"VE": "Ventes", "BQ": "Banque"}[journal]
        lines.append("|".join([journal, label, entry, d, account, account, aux, name, piece, d, *rest, d, "", ""]))

    for k, (number, day, client, cents) in enumerate(rows):
        aux = accounts.setdefault(client, f"411C{len(accounts):05d}")
        ht, d = cents * 5 // 6, f"{day:%Y%m%d}"
        letter = "" if k % 10 >= 3 else f"L{k}"
        text = f"Facture {number}"
        line("VE", f"VE{k:07d}", d, "411000", aux, client, number, text, _euros(cents), "0,00", letter, "")
        line("VE", f"VE{k:07d}", d, "706000", "", "", number, text, "0,00", _euros(ht), "", "")
        line("VE", f"VE{k:07d}", d, "445710", "", "", number, text, "0,00", _euros(cents - ht), "", "")
        if letter:
            paid = _euros(cents if k % 10 < 2 else cents // 2)
            line("BQ", f"BQ{k:07d}", d, "512000", "", "", f"VIR-{k}", "Virement", paid, "0,00", "", "")
            line("BQ", f"BQ{k:07d}", d, "411000", aux, client, f"VIR-{k}", "Virement", "0,00", paid, letter, d)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(args: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of a command run as a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args[:6])}… failed:\n{err.decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        base = generate(args.cases, work / "base", date.fromisoformat(TODAY))
        rows = _invoices(args.invoices, _names(base), seed=5)
        sources = {"csv": work / "factures.csv", "fec": work / "123456789FEC20261231.txt"}
        write_csv(sources["csv"], rows)
        write_fec(sources["fec"], rows)
        print(f"{args.invoices} invoices into a {args.cases}-case ledger, median of {args.repeat}")  # noqa: T201
        for kind, source in sources.items():
            imports, checks = [], []
            for round_ in range(args.repeat):
                target = work / f"{kind}-{round_}"
                shutil.copytree(base.parent, target)
                ledger = target / "ledger"
                common = ["relancegit", "--ledger", str(ledger), "--today", TODAY]
                imports.append(timed([*common, "import", str(source)]))  # cold: the copy has no cache
                shutil.rmtree(target / ".relancegit-cache", ignore_errors=True)  # what the import cached
                checks.append(timed([*common, "check"]))
                shutil.rmtree(target)
            (iw, ic), (cw, cc) = (tuple(map(statistics.median, zip(*t, strict=True))) for t in (imports, checks))
            print(  # noqa: T201
                f"{kind:4} import {iw:6.2f} s (CPU {ic:6.2f} s)   cold check of the result {cw:6.2f} s "
                f"(CPU {cc:6.2f} s)   ratio {iw / cw:4.2f} (CPU {ic / cc:4.2f})"
            )


if __name__ == "__main__":
    main()
