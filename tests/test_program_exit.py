"""The console script `relancegit` (`cli.run`): `main`, then a quick exit with the same code,
output and messages as `main` run by Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = "import sys; from relancegit.cli import run; sys.argv[0] = 'relancegit'; run()"


def program(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RELANCEGIT_TODAY": "2026-11-23", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )


def test_the_output_and_code_of_a_run(make_ledger):
    root = make_ledger()

    done = program("--ledger", str(root), "check")

    assert done.returncode == 0
    assert done.stdout.startswith("ok: ")
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--ledger", "/nonexistent", "check"), 2, "relancegit: error: no ledger at /nonexistent"),
        (("--bogus",), 2, "Error: No such option '--bogus'."),
    ],
)
def test_errors_keep_their_code_and_message(args, code, message):
    done = program(*args)

    assert done.returncode == code
    assert message in done.stderr


def test_a_version_is_printed_and_flushed_through_a_pipe():
    done = program("--version")

    assert done.returncode == 0
    assert done.stdout.startswith("relancegit, version ")


def test_exit_handlers_run_and_a_closed_pipe_ends_quietly(make_ledger):
    root = make_ledger()
    script = (
        "import atexit, sys; atexit.register(lambda: sys.stderr.write('handler ran\\n'));"
        "from relancegit.cli import run; sys.argv[0] = 'relancegit'; run()"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", script, "--ledger", str(root), "next"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "RELANCEGIT_TODAY": "2026-11-23"},
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # as `| head` does: nobody reads what is printed
    err = reader.stderr.read().decode()
    assert reader.wait() == 1  # click's code for a closed pipe, as with `main`
    assert "handler ran" in err
    assert "Traceback" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_output_to_a_full_disk_is_an_error_message_not_a_traceback(make_ledger):
    root = make_ledger()
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM, "--ledger", str(root), "next"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RELANCEGIT_TODAY": "2026-11-23"},
            check=False,
        )

    assert done.returncode == 1
    assert done.stderr == "relancegit: error: cannot write the output: No space left on device\n"
