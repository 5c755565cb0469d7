"""Benchmark `relancegit audit` on a generated history (issue 5, "Performance").

Builds a git repository with N case files and R commits that each append one event to
every case (so each case is touched R times: 20 by default), then times `relancegit audit`
in a subprocess, as a user would run it. Self-contained: needs git and relancegit only.

    python bench/audit_bench.py                 # 10,000 cases, 20 commits touching each
    python bench/audit_bench.py --cases 1000 --rounds 5 --gc --keep /tmp/audit-bench
"""

# ruff: noqa: T201 - a benchmark reports on standard output

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

CONFIG = "creditor:\n  name: Bench SARL\n  address: [1 rue du Test, 75001 Paris]\n"
CLIENT = "id: client-{i}\nname: Client {i} SAS\n"
CASE = """\
# generated case {i}
id: case-{i:05d}
client: client-{c}
invoices:
  - number: F{i:05d}
    date: 2026-01-05
    due: 2026-02-04
    amount: 1500.00
events:
"""
EVENT = "  - {{date: {day}, type: note, note: 'round {r}', by: Bench}}\n"
START = date(2026, 2, 5)


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, env=env, stdout=subprocess.DEVNULL)


def build(repo: Path, cases: int, rounds: int) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    git(repo, "init", "-q", "-b", "main", env=env)
    ledger = repo / "ledger"
    (ledger / "clients").mkdir(parents=True)
    (ledger / "relancegit.yaml").write_text(CONFIG)
    clients = max(1, cases // 10)
    for c in range(clients):
        (ledger / "clients" / f"client-{c}.yaml").write_text(CLIENT.format(i=c))
    paths = []
    for i in range(cases):
        folder = ledger / "cases" / f"{i // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"case-{i:05d}.yaml"
        path.write_text(CASE.format(i=i, c=i % clients))
        paths.append(path)
    commit(repo, env, START, "Open the cases")
    for r in range(1, rounds + 1):
        day = START + timedelta(days=7 * r)
        line = EVENT.format(day=day.isoformat(), r=r)
        for path in paths:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        commit(repo, env, day, f"Round {r}: one event on every case")


def commit(repo: Path, env: dict[str, str], day: date, message: str) -> None:
    stamp = f"{day.isoformat()}T12:00:00+01:00"
    env = {**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", message, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="commits touching every case")
    parser.add_argument("--gc", action="store_true", help="pack the repository first (git gc)")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the repository here")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="relancegit-audit-bench-"))
    if not (folder / ".git").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build(folder, args.cases, args.rounds)
        print(f"built {args.cases} cases x {args.rounds} rounds in {time.perf_counter() - started:.1f} s")
    if args.gc:
        git(folder, "gc", "-q")
    started = time.perf_counter()
    done = subprocess.run(
        ["relancegit", "--ledger", str(folder / "ledger"), "--format", "json", "audit"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    summary = done.stdout[-200:].strip().replace("\n", " ")
    objects = "packed" if args.gc else "loose objects"
    print(f"relancegit audit: {elapsed:.2f} s (exit {done.returncode}, {objects}) {summary[-80:]}")
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
