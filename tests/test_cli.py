"""The command line: wiring, exit codes, JSON shapes, discovery; `check`, `schema`, `init`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CASE
from permissions import without_permission_override

from relancegit.cli import main


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    runner = CliRunner(env={"RELANCEGIT_LEDGER": None, "RELANCEGIT_TODAY": None, **(env or {})})
    if cwd is None:
        return runner.invoke(main, list(args), catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def test_check_ok(make_ledger):
    root = make_ledger()
    result = run("--ledger", str(root), "--today", "2026-11-23", "check")
    assert result.exit_code == 0
    assert result.stdout == "ok: 1 cases, 1 clients, 2 events\n"


def test_check_errors_on_stderr_compiler_style(make_ledger, tmp_path: Path):
    root = make_ledger({"cases/2026/2026-0042.yaml": CASE.replace("amount: 750", "amount: 7.505")})
    result = run("--today", "2026-11-23", "check", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "ledger/cases/2026/2026-0042.yaml:10:47: error: amount 7.505 has more than 2 decimals",
        "1 error(s), 0 warning(s) in 1 cases, 1 clients, 2 events",
    ]
    assert root.exists()


def test_check_json_shape(make_ledger, tmp_path: Path):
    make_ledger({"cases/2026/2026-0042.yaml": CASE + "  - {date: 2026-12-01, type: note}\n"})
    result = run("--today", "2026-11-23", "check", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "ok": True,
        "errors": [],
        "warnings": [
            {
                "file": "ledger/cases/2026/2026-0042.yaml",
                "line": 11,
                "column": 12,
                "message": "event dated 2026-12-01 is after today (2026-11-23): it is ignored until then",
            }
        ],
        "counts": {"cases": 1, "clients": 1, "events": 3},
    }


def test_global_format_option(make_ledger):
    root = make_ledger()
    result = run("--ledger", str(root), "--format", "json", "--today", "2026-11-23", "check")
    assert json.loads(result.stdout)["ok"] is True


def test_strict_turns_warnings_into_errors(make_ledger):
    root = make_ledger({"cases/2026/2026-0042.yaml": CASE + "  - {date: 2026-12-01, type: note}\n"})
    assert run("--ledger", str(root), "--today", "2026-11-23", "check").exit_code == 0
    result = run("--ledger", str(root), "--today", "2026-11-23", "check", "--strict", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["warnings"] == [] and len(report["errors"]) == 1


def test_today_from_environment(make_ledger):
    root = make_ledger({"cases/2026/2026-0042.yaml": CASE + "  - {date: 2026-12-01, type: note}\n"})
    result = run("--ledger", str(root), "check", "--format", "json", env={"RELANCEGIT_TODAY": "2026-12-02"})
    assert json.loads(result.stdout)["warnings"] == []


def test_bad_today_is_a_usage_error(make_ledger):
    result = run("--ledger", str(make_ledger()), "--today", "2026-02-30", "check")
    assert result.exit_code == 2
    assert "'2026-02-30' is not a date YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize("today", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
@pytest.mark.parametrize("command", ["check", "list", "calendar", "build"])
def test_today_out_of_range_is_a_usage_error(make_ledger, today: str, command: str):
    result = run("--ledger", str(make_ledger()), "--today", today, command)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for --today: date {today} is out of range: expected 1900-01-01 to 2199-12-31"
    )


@pytest.mark.parametrize(
    ("args", "unwritable"),
    [
        (["calendar", "-o", "{tmp}/missing/d/x.ics"], "{tmp}/missing/d/x.ics: No such file or directory"),
        (["schema", "-o", "/proc/x"], "/proc/x: No such file or directory"),
        (["init", "/proc/x"], "/proc/x: No such file or directory"),
        (["build", "-o", "/proc/x"], "/proc/x: No such file or directory"),
    ],
    ids=["calendar", "schema", "init", "build"],
)
def test_output_paths_that_cannot_be_written_are_one_line_errors(make_ledger, tmp_path: Path, args, unwritable):
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    result = run("--ledger", str(make_ledger()), "--today", "2026-11-23", *args)
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[-1]
        == f"relancegit: error: cannot write {unwritable.replace('{tmp}', str(tmp_path))}"
    )


def test_build_into_a_read_only_site_is_a_one_line_error(make_ledger, tmp_path: Path):
    prefix = without_permission_override()
    root, site = make_ledger(), tmp_path / "site"
    assert run("--ledger", str(root), "--today", "2026-11-23", "build", "-o", str(site)).exit_code == 0
    folders = [site, *(p for p in site.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        command = [sys.executable, "-m", "relancegit.cli", "--ledger", str(root), "--today", "2026-11-24", "build"]
        proc = subprocess.run(
            [*prefix, *command, "-o", str(site)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "RELANCEGIT_NO_CACHE": "1"},
        )
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert re.fullmatch(
        rf"relancegit: error: cannot write {re.escape(str(site))}/\S+: Permission denied", proc.stderr.strip()
    )


def test_no_ledger_found_exit_2(tmp_path: Path):
    result = run("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("relancegit: error: no ledger found: no ledger/relancegit.yaml in ")


def test_explicit_ledger_missing_exit_2(tmp_path: Path):
    result = run("--ledger", str(tmp_path / "nowhere"), "check")
    assert result.exit_code == 2
    assert "no ledger at" in result.stderr and "(--ledger)" in result.stderr


def test_discovery_upwards_and_from_environment(make_ledger, tmp_path: Path):
    root = make_ledger()
    deep = root / "cases" / "2026"
    assert run("--today", "2026-11-23", "check", cwd=deep).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run("--today", "2026-11-23", "check", cwd=elsewhere, env={"RELANCEGIT_LEDGER": str(tmp_path)}).exit_code == 0


def test_unknown_command_is_usage_error():
    assert run("chek").exit_code == 2


def test_schema_to_stdout_and_folder(tmp_path: Path):
    result = run("schema")
    schemas = json.loads(result.stdout)
    assert set(schemas) == {"config.schema.json", "client.schema.json", "case.schema.json"}
    assert schemas["case.schema.json"]["additionalProperties"] is False
    out = tmp_path / "schemas"
    assert run("schema", "-o", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["case.schema.json", "client.schema.json", "config.schema.json"]


def test_init_scaffolds_a_repository_that_checks(tmp_path: Path):
    target = tmp_path / "recouvrement"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    for name in (
        "ledger/relancegit.yaml",
        "ledger/cases",
        "ledger/clients",
        "templates",
        "schemas/case.schema.json",
        ".pre-commit-config.yaml",
        ".gitignore",
        ".github/workflows/relancegit.yml",
        ".gitlab-ci.yml",
    ):
        assert (target / name).exists(), name
    config = (target / "ledger/relancegit.yaml").read_text()
    assert config.startswith("# yaml-language-server: $schema=../schemas/config.schema.json")
    assert "relancegit check" in (target / ".pre-commit-config.yaml").read_text()
    assert run("--ledger", str(target), "check").exit_code == 0


def test_init_refuses_to_overwrite_a_ledger(tmp_path: Path):
    assert run("init", str(tmp_path)).exit_code == 0
    before = (tmp_path / "ledger/relancegit.yaml").read_bytes()
    result = run("init", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists: not overwriting a ledger" in result.stderr
    assert (tmp_path / "ledger/relancegit.yaml").read_bytes() == before


def test_init_demo_checks_clean(tmp_path: Path):
    result = run("init", str(tmp_path / "demo"), "--demo")
    assert result.exit_code == 0
    assert len(list((tmp_path / "demo/ledger/cases").rglob("*.yaml"))) >= 35
    checked = run("--ledger", str(tmp_path / "demo"), "--today", "2026-11-23", "check", "--format", "json")
    assert json.loads(checked.stdout)["errors"] == []


def test_installed_console_script_never_shows_a_traceback(make_ledger, tmp_path: Path):
    root = make_ledger({"cases/2026/2026-0042.yaml": b"id: \xff\xfe\n", "clients/acme.yaml": "[unclosed"})
    proc = subprocess.run(
        [sys.executable, "-m", "relancegit.cli", "--ledger", str(root), "--today", "2026-11-23", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "2026-0042.yaml:1:5: error: file is not valid UTF-8 (byte 0xff); save it as UTF-8" in proc.stderr
