"""The ledger repository that `relancegit init` writes works on its first commit: its
pre-commit hook runs `relancegit check` on what is staged, found even outside the virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONSOLE_SCRIPT = Path(sys.executable).parent / "relancegit"

CLIENT = "id: acme\nname: ACME Industrie SAS\n"
CASE = """\
id: 2026-0001
client: acme
invoices:
  - {number: F2026-0001, date: 2026-09-01, due: 2026-10-01, amount: 1500.00}
events: []
"""


def git_env(**extra: str) -> dict[str, str]:
    """A commit made outside the virtualenv: no relancegit on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "VIRTUAL_ENV"))}
    env.update(
        PATH="/usr/local/bin:/usr/bin:/bin",
        GIT_AUTHOR_NAME="Claire Martin",
        GIT_AUTHOR_EMAIL="claire@example.com",
        GIT_COMMITTER_NAME="Claire Martin",
        GIT_COMMITTER_EMAIL="claire@example.com",
        RELANCEGIT_TODAY="2026-12-01",
    )
    env.update(extra)
    return env


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False, env=env or git_env()
    )


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").stdout.strip() or 0)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if not CONSOLE_SCRIPT.exists():
        pytest.fail(f"{CONSOLE_SCRIPT} is missing: install relancegit in this virtualenv (scripts/run-tests)")
    target = tmp_path / "recouvrement"
    proc = subprocess.run([str(CONSOLE_SCRIPT), "init", str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "pre-commit hook enabled" in proc.stdout
    (target / "ledger/clients/acme.yaml").write_text(CLIENT, encoding="utf-8")
    (target / "ledger/cases/2026-0001.yaml").write_text(CASE, encoding="utf-8")
    assert git(target, "add", "-A").returncode == 0
    first = git(target, "commit", "-m", "first cases")
    assert first.returncode == 0, first.stderr
    return target


def test_init_enables_the_hook_and_names_the_tool_that_ran_it(repo: Path):
    assert git(repo, "config", "--get", "core.hooksPath").stdout.strip() == ".githooks"
    assert Path(git(repo, "config", "--get", "relancegit.command").stdout.strip()) == CONSOLE_SCRIPT.resolve()
    assert os.access(repo / ".githooks/pre-commit", os.X_OK)
    assert commits(repo) == 1  # a good first commit made outside the virtualenv passed the hook


def test_hook_refuses_a_bad_commit_with_the_located_error(repo: Path):
    case = repo / "ledger/cases/2026-0001.yaml"
    case.write_text(CASE.replace("events: []", "events: []\npaiement: 3"), encoding="utf-8")
    git(repo, "add", "-A")
    proc = git(repo, "commit", "-m", "typo")
    assert proc.returncode != 0
    assert "ledger/cases/2026-0001.yaml:6:1: error: unknown key 'paiement'" in proc.stdout + proc.stderr
    assert "commit refused" in proc.stderr
    assert commits(repo) == 1


def test_hook_checks_what_is_staged_not_the_working_tree(repo: Path):
    case = repo / "ledger/cases/2026-0001.yaml"
    case.write_text(CASE.replace("amount: 1500.00", "amount: -5"), encoding="utf-8")
    git(repo, "add", "-A")
    case.write_text(CASE, encoding="utf-8")  # fixed in the working tree, not staged
    assert git(repo, "commit", "-m", "staged bad amount").returncode != 0
    git(repo, "add", "-A")
    assert git(repo, "commit", "-m", "nothing wrong staged", "--allow-empty").returncode == 0


def test_hook_finds_the_repository_virtualenv(repo: Path):
    git(repo, "config", "--unset", "relancegit.command")
    (repo / ".venv/bin").mkdir(parents=True)
    (repo / ".venv/bin/relancegit").symlink_to(CONSOLE_SCRIPT)
    (repo / "ledger/cases/2026-0002.yaml").write_text("id: 2026-0003\n", encoding="utf-8")
    git(repo, "add", "ledger")
    proc = git(repo, "commit", "-m", "bad id")
    assert proc.returncode != 0
    expected = (
        "ledger/cases/2026-0002.yaml:1:5: error: id '2026-0003' does not match the file name (expected '2026-0002')"
    )
    assert expected in proc.stderr


def test_hook_without_relancegit_says_how_to_fix(repo: Path):
    git(repo, "config", "--unset", "relancegit.command")
    (repo / "ledger/cases/2026-0001.yaml").write_text(CASE.replace("1500.00", "1600.00"), encoding="utf-8")
    git(repo, "add", "-A")
    proc = git(repo, "commit", "-m", "no tool")
    assert proc.returncode != 0
    assert "the relancegit command was not found" in proc.stderr
    assert "git config relancegit.command" in proc.stderr


def test_init_leaves_an_existing_hook_setup_alone(tmp_path: Path):
    target = tmp_path / "existing"
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    git(target, "config", "core.hooksPath", ".husky")
    proc = subprocess.run([str(CONSOLE_SCRIPT), "init", str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "pre-commit hook not enabled: core.hooksPath is already '.husky'" in proc.stdout
    assert git(target, "config", "--get", "core.hooksPath").stdout.strip() == ".husky"


def test_init_config_carries_the_default_policy_ready_to_edit(tmp_path: Path):
    """The commented policy `init` writes is the built-in one: uncommented, nothing changes."""
    import yaml

    from relancegit.model import DEFAULT_POLICY, Config
    from relancegit.scaffold import init_repository

    init_repository(tmp_path / "repo")
    text = (tmp_path / "repo/ledger/relancegit.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    start, end = lines.index("# policies:"), next(i for i, line in enumerate(lines) if line.startswith("# smtp:"))
    block = [line.removeprefix("# ") for line in lines[start:end]]
    uncommented = "\n".join(line for line in lines if not line.startswith("#")) + "\n" + "\n".join(block) + "\n"
    config = Config.model_validate(yaml.safe_load(uncommented))
    assert config.policies["default"] == DEFAULT_POLICY
    assert "auto: true lets `relancegit send --due` e-mail that step" in text


def test_hook_refuses_an_edit_of_a_committed_event_and_says_what_to_do(repo: Path):
    case = repo / "ledger/cases/2026-0001.yaml"
    case.write_text(CASE.replace("events: []", "events:\n  - {date: 2026-10-05, type: payment, amount: 5000}"))
    git(repo, "add", "-A")
    assert git(repo, "commit", "-m", "a payment").returncode == 0
    case.write_text(CASE.replace("events: []", "events:\n  - {date: 2026-10-05, type: payment, amount: 50}"))
    git(repo, "add", "-A")
    proc = git(repo, "commit", "-m", "fix the amount in place")
    assert proc.returncode != 0
    assert "commit refused: committed events are never edited" in proc.stderr
    assert "a `void` of the wrong event" in proc.stderr
    assert commits(repo) == 2


def test_every_link_of_the_docs_init_copies_leads_to_a_file_it_copied(repo: Path):
    """The reference travels with the ledger: a link from one copied page to another (e.g.
    format.md → import.md) must not be broken in the new repository."""
    import re

    pages = sorted((repo / "docs").glob("*.md"))
    assert {p.name for p in pages} >= {"format.md", "commands.md", "import.md", "match.md"}
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).is_file():
                broken.append(f"{page.name} → {target}")
    assert not broken, broken
