"""`letter -o` and `send --dry-run --outbox` into a folder that cannot be written: one line, exit 1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO


def run(*args: str) -> tuple[int, str, str]:
    from relancegit.cli import main

    result = CliRunner().invoke(main, ["--ledger", str(DEMO), "--today", "2026-11-23", *args])
    return result.exit_code, result.stdout, result.stderr


def unwritable(tmp_path: Path) -> list[Path]:
    """Folders that cannot be made: under a regular file, and in /proc (Linux)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    found = [blocker / "out"]
    if sys.platform.startswith("linux") and Path("/proc/self").exists():
        found.append(Path("/proc/x"))
    return found


@pytest.mark.parametrize("fmt", ["md", "eml"])
def test_letter_into_a_folder_that_cannot_be_made(tmp_path: Path, fmt: str) -> None:
    for folder in unwritable(tmp_path):
        code, out, err = run("letter", "2026-0256", "--format", fmt, "-o", str(folder))
        reason = "Not a directory" if folder.name == "out" else "No such file or directory"
        assert (code, out, err) == (1, "", f"relancegit: error: cannot create the folder {folder}: {reason}\n")


def test_letter_over_a_folder_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "2026-0256-reminder-1.md").mkdir()
    code, out, err = run("letter", "2026-0256", "-o", str(tmp_path))
    target = tmp_path / "2026-0256-reminder-1.md"
    assert (code, out) == (1, "")
    assert err == f"relancegit: error: cannot write {target}: Is a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-0256-reminder-1.md"]  # no temporary file left


def test_dry_run_into_an_outbox_that_cannot_be_made(tmp_path: Path) -> None:
    for folder in unwritable(tmp_path):
        code, out, err = run("send", "--due", "--dry-run", "--outbox", str(folder))
        reason = "Not a directory" if folder.name == "out" else "No such file or directory"
        assert (code, out, err) == (1, "", f"relancegit: error: cannot create the outbox folder {folder}: {reason}\n")
