"""docs/commands.md lists the keys each reading command's JSON really has (on a small ledger)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from relancegit.cli import main

COMMANDS_MD = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")


def documented_keys(command: str) -> set[str]:
    """The keys of the first `{...}` of the command's section ("### `show`")."""
    section = COMMANDS_MD.split(f"\n### `{command}`\n", 1)[1].split("\n### ", 1)[0]
    first = re.search(r"`\{([^}]*)\}`", section, flags=re.DOTALL)
    assert first, f"no {{...}} in the section of {command}"
    return set(re.findall(r'"([^"]+)"', first.group(1)))


def json_of(root: Path, *args: str) -> object:
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None})
    result = runner.invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("command", "args"),
    [("check", ()), ("show", ("2026-0042",)), ("next", ("--within", "60")), ("report", ()), ("rates", ())],
)
def test_documented_json_keys_are_the_real_ones(make_ledger, command: str, args: tuple[str, ...]):
    out = json_of(make_ledger(), command, *args)
    if isinstance(out, list):
        assert out, "an example needs at least one item"
        out = out[0]
    assert isinstance(out, dict)
    assert documented_keys(command) == set(out)


def test_list_is_show_without_invoices(make_ledger):
    root = make_ledger()
    (case,) = json_of(root, "list")
    assert set(case) == documented_keys("show") - {"invoices"}
    assert "A list of `show` objects without `invoices`." in COMMANDS_MD


def test_every_command_is_in_the_readme_or_here():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"`{name}" in readme
    for section in re.findall(r"^### `([a-z]+)`", COMMANDS_MD, flags=re.MULTILINE):
        assert section in main.commands
