"""`speed.pool.Background`: items made in a forked child while the parent works on them."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from relancegit import speed
from relancegit.problems import UsageError
from relancegit.speed import pool


@pytest.fixture(autouse=True)
def _door_open_two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(speed.ENV_NO_CACHE, "0")
    monkeypatch.setattr(pool, "worker_count", lambda: 2)


def test_the_items_are_made_in_another_process_and_come_in_order():
    with pool.Background(lambda: [(os.getpid(), n) for n in range(3)]) as child:
        items = child.result()
    assert [n for _, n in items] == [0, 1, 2]
    assert {pid for pid, _ in items} != {os.getpid()}


def test_each_item_arrives_as_soon_as_it_is_made():
    def slowly() -> Iterator[float]:
        yield time.monotonic()
        time.sleep(0.6)
        yield time.monotonic()

    with pool.Background(slowly) as child:
        items = child.items()
        next(items)
        first = time.monotonic()
        second = next(items)
    assert first < second  # the first was here before the second was made


def test_the_child_works_while_the_parent_does():
    start = time.monotonic()
    with pool.Background(lambda: [time.sleep(1), "slept"]) as child:
        time.sleep(1)
        assert child.result() == [None, "slept"]
    assert time.monotonic() - start < 1.8  # both seconds, together (one after the other: 2)


def test_an_exception_is_raised_after_the_items_made_before_it():
    def refuse() -> Iterator[str]:
        yield "first"
        raise UsageError("cannot read second.xml: No such file or directory")

    with pool.Background(refuse) as child:
        items = child.items()
        assert next(items) == "first"
        with pytest.raises(UsageError, match=r"cannot read second\.xml"):
            next(items)


def test_an_exception_that_cannot_travel_is_raised_by_making_the_rest_here():
    class Local(Exception):  # a local class: pickle cannot name it
        pass

    made_here = []

    def fail() -> Iterator[int]:
        yield 1
        made_here.append(os.getpid())
        raise Local("here")

    with pool.Background(fail) as child:
        items = child.items()
        assert next(items) == 1
        with pytest.raises(Local, match="here"):
            next(items)
    assert made_here == [os.getpid()]  # the child's attempt is not seen here: only this process's


def test_the_items_a_dead_child_did_not_send_are_made_here():
    parent = os.getpid()

    def die_after_two() -> Iterator[int]:
        for n in range(4):
            if n == 2 and os.getpid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)
            yield n

    with pool.Background(die_after_two) as child:
        assert child.result() == [0, 1, 2, 3]


def test_a_child_not_asked_for_is_stopped(tmp_path: Path):
    marker = tmp_path / "finished"

    def slow() -> Iterator[None]:
        time.sleep(3)
        marker.write_text("done")
        yield None

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

    def here() -> Iterator[int]:
        calls.append(os.getpid())
        yield len(calls)

    with pool.Background(here) as child:
        assert calls == []  # not before it is asked
        assert child.result() == [1]
    assert calls == [os.getpid()]
