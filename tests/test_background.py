"""`speed.pool.Background`: one computation in a forked child while the parent goes on."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from relancegit import speed
from relancegit.problems import UsageError
from relancegit.speed import pool


@pytest.fixture(autouse=True)
def _door_open_two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(speed.ENV_NO_CACHE, "0")
    monkeypatch.setattr(pool, "worker_count", lambda: 2)


def test_the_value_is_computed_in_another_process():
    with pool.Background(os.getpid) as child:
        assert child.result() != os.getpid()
        assert child.result() == child.result()  # asked twice: computed once


def test_the_child_works_while_the_parent_does():
    start = time.monotonic()
    with pool.Background(lambda: time.sleep(0.5) or "slept") as child:
        time.sleep(0.5)
        assert child.result() == "slept"
    assert time.monotonic() - start < 0.9  # both halves of a second, together


def test_an_exception_is_raised_where_the_result_is_asked():
    def refuse() -> None:
        raise UsageError("cannot read statement.xml: No such file or directory")

    with pool.Background(refuse) as child, pytest.raises(UsageError, match="cannot read statement.xml"):
        child.result()


def test_an_unpicklable_exception_is_raised_by_computing_it_here():
    class Local(Exception):  # a local class: pickle cannot name it
        pass

    calls = []

    def fail() -> None:
        calls.append(os.getpid())
        raise Local("here")

    with pool.Background(fail) as child, pytest.raises(Local, match="here"):
        child.result()
    assert calls == [os.getpid()]  # the child's attempt is not seen here: only this process's


def test_a_child_not_asked_for_is_stopped(tmp_path: Path):
    marker = tmp_path / "finished"

    def slow() -> None:
        time.sleep(3)
        marker.write_text("done")

    with pool.Background(slow) as child:
        pid = child._pid
        assert pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped: no zombie left
    time.sleep(0.2)
    assert not marker.exists()


def test_with_the_door_closed_it_runs_here_when_asked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(speed.ENV_NO_CACHE, "1")
    calls = []
    with pool.Background(lambda: calls.append(os.getpid()) or len(calls)) as child:
        assert calls == []  # not before it is asked
        assert child.result() == 1
    assert calls == [os.getpid()]
