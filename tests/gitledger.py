"""A small ledger in a real git repository, for the record, history and audit tests.

Commits are made with fixed author, committer and dates so hashes and dates are stable.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from relancegit.cli import main

TODAY = "2026-10-30"

CONFIG = """\
creditor:
  name: Atelier Martin SARL
  address: [12 rue des Forges, 69007 Lyon]
rates:
  - {period: 2026-H2, ecb: 2.15, legal_other: 6.65, legal_private: 7.21}
"""

CLIENT = """\
id: acme-industrie
name: ACME Industrie SAS
"""

# The case of SPEC §3.3, with comments, aligned comments and quoting to keep.
CASE = """\
# Dossier ACME — facture de septembre
id: 2026-0042
client: acme-industrie
invoices:
  - number: F2026-0042     # unique ledger-wide
    date: 2026-09-01       # issue date
    due: 2026-10-01
    amount: 1500.00
events:                    # append-only
  - {date: 2026-09-26, type: reminder, step: pre-due}
  - {date: 2026-10-02, type: reminder, step: reminder-1, channel: email}
"""

CASE_PATH = "ledger/cases/2026/2026-0042.yaml"


# A committer of its own, and no system or user git configuration: deterministic commits.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Claire Martin",
    "GIT_AUTHOR_EMAIL": "claire@atelier-martin.example",
    "GIT_COMMITTER_NAME": "Claire Martin",
    "GIT_COMMITTER_EMAIL": "claire@atelier-martin.example",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitLedger:
    """A git repository holding `ledger/`, with deterministic commits."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        for name, value in {**GIT_ENV, "RELANCEGIT_TODAY": TODAY}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("RELANCEGIT_LEDGER", raising=False)
        self.at("2026-10-02")
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Claire Martin")
        self.git("config", "user.email", "claire@atelier-martin.example")

    @property
    def ledger(self) -> Path:
        return self.root / "ledger"

    def at(self, day: str) -> None:
        """Date the next commits (author and committer) at noon on `day`."""
        stamp = f"{day}T12:00:00+02:00"
        self.monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
        self.monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        return done.stdout

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def read(self, relative: str = CASE_PATH) -> bytes:
        return (self.root / relative).read_bytes()

    def commit(self, message: str, *paths: str) -> str:
        self.git("add", "-A", *paths)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def replace(self, old: str, new: str, relative: str = CASE_PATH) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def run(self, *args: str) -> Result:
        """`relancegit --ledger ledger ARGS`, in-process."""
        return CliRunner().invoke(main, ["--ledger", str(self.ledger), *args], catch_exceptions=False)


def make_ledger(root: Path, monkeypatch: pytest.MonkeyPatch, case: str = CASE, commit: bool = True) -> GitLedger:
    repo = GitLedger(root, monkeypatch)
    repo.write("ledger/relancegit.yaml", CONFIG)
    repo.write("ledger/clients/acme-industrie.yaml", CLIENT)
    repo.write(CASE_PATH, case)
    if commit:
        repo.commit("Open case 2026-0042")
    return repo


def last_event(repo: GitLedger, relative: str = CASE_PATH) -> dict[str, Any]:
    from relancegit.read.yamlsafe import parse_yaml

    data = parse_yaml(repo.read(relative))
    return dict(data["events"][-1])
