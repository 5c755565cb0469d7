"""Every command has help and is documented in the README's command table."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import REPO

from relancegit.cli import main

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_the_command_list_is_complete():
    assert set(COMMANDS) >= {
        "init", "check", "schema", "show", "list", "next", "report", "calendar",
        "letter", "send", "build", "record", "history", "audit",
    }  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme_table(name: str):
    assert re.search(rf"^\| `{re.escape(name)}\b", README, flags=re.MULTILINE), f"README lacks `{name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert main.commands[name].help, f"{name} has no docstring"
    assert "Usage: " in result.stdout
