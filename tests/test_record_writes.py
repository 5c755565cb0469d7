"""`record` under concurrent, interrupted and odd writes: real processes, a real git repository.

Each test starts `relancegit` as separate processes (`python -m relancegit.cli`), as a user's
terminal, an editor and a cron job would, and checks what is on disk and in git afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from gitledger import CASE, CASE_PATH, GitLedger, make_ledger

from relancegit.git import gitlog
from relancegit.read.yamlsafe import parse_yaml
from relancegit.write.lock import ledger_write_lock, state_folder
from relancegit.write.record import record

RUNS = 20


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitLedger:
    # Twenty processes queue for the lock on a shared CI machine: wait long enough.
    monkeypatch.setenv("RELANCEGIT_LOCK_TIMEOUT", "300")
    return make_ledger(tmp_path, monkeypatch)


def _start(
    repo: GitLedger, *args: str, prefix: tuple[str, ...] | list[str] = (), **options: object
) -> subprocess.Popen[str]:
    command = [*prefix, sys.executable, "-m", "relancegit.cli", "--ledger", str(repo.ledger), *args]
    return subprocess.Popen(
        command, cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options
    )  # type: ignore[call-overload]


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


def _events(repo: GitLedger, relative: str = CASE_PATH) -> list[dict[str, object]]:
    return list(parse_yaml(repo.read(relative))["events"])


def _commit_count(repo: GitLedger) -> int:
    return int(repo.git("rev-list", "--count", "HEAD"))


def _audit_ok(repo: GitLedger) -> str:
    result = repo.run("audit")
    assert result.exit_code == 0, result.output
    return result.output


# --- concurrent writers ---------------------------------------------------------------------


@pytest.mark.parametrize("commit", [False, True], ids=["no-commit", "commit"])
def test_concurrent_records_on_one_case_keep_every_event(repo: GitLedger, commit: bool) -> None:
    before = _events(repo)
    commits = _commit_count(repo)
    flag = ["--commit"] if commit else []
    processes = [_start(repo, "record", "2026-0042", "note", f"note=run {i}", *flag) for i in range(RUNS)]
    outcomes = [_finish(p) for p in processes]
    succeeded = [i for i, (code, out, _) in enumerate(outcomes) if code == 0 and "recorded note" in out]
    assert len(succeeded) == RUNS, [err for _, _, err in outcomes if err]
    events = _events(repo)
    assert events[: len(before)] == before
    assert sorted(str(e["note"]) for e in events[len(before) :]) == sorted(f"run {i}" for i in succeeded)
    if commit:
        assert _commit_count(repo) == commits + len(succeeded)
        assert repo.git("status", "--porcelain") == ""
        assert _audit_ok(repo).startswith(f"ok: history is append-only ({commits + RUNS} commit(s)")


def test_concurrent_commits_on_different_cases_all_succeed(repo: GitLedger) -> None:
    ids = [f"2026-{100 + i:04d}" for i in range(RUNS)]
    for case_id in ids:
        text = CASE.replace("2026-0042", case_id)
        repo.write(f"ledger/cases/2026/{case_id}.yaml", text)
    repo.commit("Open twenty cases")
    commits = _commit_count(repo)
    processes = [_start(repo, "record", case_id, "note", "note=called", "--commit") for case_id in ids]
    outcomes = [_finish(p) for p in processes]
    assert [code for code, _, _ in outcomes] == [0] * RUNS, [err for _, _, err in outcomes if err]
    assert all("committed" in out for _, out, _ in outcomes)
    assert _commit_count(repo) == commits + RUNS
    touched = repo.git("log", f"-{RUNS}", "--name-only", "--format=").split()
    assert sorted(touched) == sorted(f"ledger/cases/2026/{case_id}.yaml" for case_id in ids)
    assert repo.git("status", "--porcelain") == ""
    assert all(_events(repo, f"ledger/cases/2026/{i}.yaml")[-1]["note"] == "called" for i in ids)
    _audit_ok(repo)


def test_a_writer_waiting_too_long_gives_up_with_a_message(repo: GitLedger) -> None:
    before = repo.read()
    with ledger_write_lock(repo.ledger):
        started = time.monotonic()
        code, out, err = _finish(
            _start(repo, "record", "2026-0042", "note", "note=x", env={**os.environ, "RELANCEGIT_LOCK_TIMEOUT": "0.5"})
        )
        waited = time.monotonic() - started
    assert code == 1
    assert err.startswith(
        f"relancegit: error: the ledger is being changed by another relancegit command (process {os.getpid()}); "
        "gave up after waiting 0.5 s: nothing was changed, run the command again when it has finished"
    )
    assert "Traceback" not in err and err.count("\n") == 1
    assert waited >= 0.5
    assert out == ""
    assert repo.read() == before


def test_a_command_holding_the_lock_can_record(repo: GitLedger) -> None:
    # `send` (or an importer) holds the lock around its own work and records through `record`.
    with ledger_write_lock(repo.ledger):
        done = record(repo.ledger, "2026-0042", "note", ["note=inside"], date(2026, 10, 30), lock_timeout=0.1)
    assert done.event["note"] == "inside"
    assert _events(repo)[-1]["note"] == "inside"


def test_bad_lock_timeout_is_a_usage_error(repo: GitLedger) -> None:
    code, _, err = _finish(
        _start(repo, "record", "2026-0042", "note", "note=x", env={**os.environ, "RELANCEGIT_LOCK_TIMEOUT": "soon"})
    )
    assert code == 2
    assert err == "relancegit: error: RELANCEGIT_LOCK_TIMEOUT: expected a number of seconds, got 'soon'\n"


def test_the_lock_and_scratch_files_live_in_the_git_directory(repo: GitLedger) -> None:
    assert state_folder(repo.ledger) == (repo.root / ".git/relancegit").resolve()
    assert repo.run("record", "2026-0042", "note", "note=x").exit_code == 0
    assert (repo.root / ".git/relancegit/lock").is_file()
    assert repo.git("status", "--porcelain", "--ignored") == f" M {CASE_PATH}\n"


# --- git's own index lock -----------------------------------------------------------------------


def test_an_index_lock_held_briefly_is_waited_for(repo: GitLedger) -> None:
    index_lock = repo.root / ".git/index.lock"
    index_lock.write_bytes(b"")
    process = _start(repo, "record", "2026-0042", "note", "note=x", "--commit")
    time.sleep(1.0)  # another git command (an editor's) holds the index for a second
    index_lock.unlink()
    code, out, err = _finish(process)
    assert code == 0, err
    assert "committed" in out
    assert repo.git("status", "--porcelain") == ""


def test_an_index_lock_left_behind_is_reported_in_full(repo: GitLedger) -> None:
    index_lock = repo.root / ".git/index.lock"
    index_lock.write_bytes(b"")
    repo.replace("amount: 1500.00", "amount: 1500.00  # checked")
    started = time.monotonic()
    with pytest.raises(gitlog.GitError) as caught:
        gitlog.run_git_waiting_for_index(["commit", "-q", "-m", "x", "-a"], repo.root, wait=0.5)
    assert time.monotonic() - started >= 0.5
    message = str(caught.value)
    assert message.startswith(f"git commit failed: git's index is locked by {index_lock}, created ")
    assert message.endswith(
        " s ago, still there after waiting 0.5 s. Another git command (a terminal, an editor) may be running: "
        "let it finish. If none is running, a crashed git left it behind: remove it with  "
        f"rm '{index_lock}'  and run the command again"
    )


# --- interrupted runs -------------------------------------------------------------------------


def test_a_record_killed_before_its_commit_is_settled_by_the_next_run(repo: GitLedger) -> None:
    before = repo.read()
    commits = _commit_count(repo)
    marker = repo.root / "hook-started"
    hook = repo.root / ".git/hooks/pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 60\n")
    hook.chmod(0o755)
    process = _start(repo, "record", "2026-0042", "note", "note=killed", "--commit", start_new_session=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # relancegit, git and the hook, all at once
    process.wait()
    hook.unlink()
    marker.unlink()
    # The kill left the file written but not committed, and git's index.lock behind.
    assert repo.git("status", "--porcelain") == f" M {CASE_PATH}\n"
    index_lock = repo.root / ".git/index.lock"
    if index_lock.exists():
        index_lock.unlink()  # what the message of the next commit would tell the user to do

    code, out, err = _finish(_start(repo, "record", "2026-0042", "note", "note=again", "--commit"))
    assert code == 0, err
    assert "committed" in out
    assert (
        f"{CASE_PATH}:1:1: warning: a 'record --commit' was interrupted after writing this file and before "
        "committing it; the file was put back as last committed (its event was not recorded)"
    ) in err
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""
    assert _commit_count(repo) == commits + 1
    assert [e["note"] for e in _events(repo)[len(parse_yaml(before)["events"]) :]] == ["again"]
    assert {p.name for p in (repo.root / ".git/relancegit").iterdir()} <= {"lock", "tmp"}  # no journal left
    assert list((repo.root / ".git/relancegit/tmp").iterdir()) == []
    _audit_ok(repo)


def test_leftovers_of_killed_writers_are_removed_by_the_next_run(repo: GitLedger) -> None:
    # A writer killed while holding the lock, with a half-written temporary file.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom relancegit.write.lock import ledger_write_lock\n"
            "with ledger_write_lock(Path(sys.argv[1])) as state:\n"
            "    state.scratch.mkdir(parents=True, exist_ok=True)\n"
            "    (state.scratch / '2026-0042.yaml.1.tmp').write_text('half')\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(60)\n",
            str(repo.ledger),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    holder.kill()
    holder.wait()
    # The hidden scratch files earlier versions left beside the case, from a process now gone.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    folder = repo.root / "ledger/cases/2026"
    (folder / f".2026-0042.yaml.{dead_pid}.check").write_text("half")
    (folder / f".2026-0042.yaml.{dead_pid}.tmp").write_text("half")
    assert len(repo.git("status", "--porcelain", "--untracked-files=all").splitlines()) == 2

    code, _, err = _finish(_start(repo, "record", "2026-0042", "note", "note=x", "--commit"))
    assert code == 0, err
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(p.name for p in folder.iterdir()) == ["2026-0042.yaml"]
    assert list((repo.root / ".git/relancegit/tmp").iterdir()) == []


# --- files record refuses to write ---------------------------------------------------------------


def test_a_symlinked_case_file_is_refused(repo: GitLedger) -> None:
    target = repo.root / "shared/2026-0042.yaml"
    target.parent.mkdir()
    link = repo.root / CASE_PATH
    link.rename(target)
    link.symlink_to(target)
    before = target.read_bytes()
    code, out, err = _finish(_start(repo, "record", "2026-0042", "note", "note=x"))
    assert code == 1
    assert err == (
        f"relancegit: error: {repo.ledger}/cases/2026/2026-0042.yaml is a symbolic link (to {target}); "
        "record does not write through links: make the case a regular file in ledger/cases/ "
        "(move the target there), then record again\n"
    )
    assert out == ""
    assert link.is_symlink() and link.readlink() == target
    assert target.read_bytes() == before


def test_a_read_only_case_folder_is_a_one_line_message(repo: GitLedger) -> None:
    folder = repo.root / "ledger/cases/2026"
    before = repo.read()
    folder.chmod(0o555)
    try:
        process = _start(repo, "record", "2026-0042", "note", "note=x", prefix=_without_root_override())
        code, out, err = _finish(process)
    finally:
        folder.chmod(0o755)
    assert code == 1
    assert err == f"relancegit: error: cannot write {folder}/2026-0042.yaml: Permission denied; the file is unchanged\n"
    assert out == ""
    assert repo.read() == before


def _without_root_override() -> list[str]:
    """Root writes into read-only folders: run relancegit without that capability."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
