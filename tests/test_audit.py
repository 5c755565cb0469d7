"""`relancegit audit`: the git history of the cases must be append-only (SPEC §7)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gitledger import CASE, CASE_PATH, GitLedger, make_ledger

from relancegit.git.audit import appended_text, events_shape
from relancegit.read.yamlsafe import parse_yaml

STEPS = [
    ("2026-10-09", ["reminder", "step=reminder-2", "channel=email"]),
    ("2026-10-16", ["call", "outcome=reached", "step=call", "note=Propose de payer en deux fois"]),
    ("2026-10-16", ["promise", "amount=750", "due=2026-10-31"]),
    ("2026-10-30", ["payment", "amount=750", "ref=VIR SEPA 8812"]),
    ("2026-11-05", ["reminder", "step=letter", "channel=letter"]),
    ("2026-11-12", ["payment", "amount=750", "ref=VIR SEPA 9120"]),
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitLedger:
    return make_ledger(tmp_path, monkeypatch)


def _record_whole_case(repo: GitLedger) -> None:
    """First reminder to payment, with `record --commit` alone."""
    for day, args in STEPS:
        repo.at(day)
        result = repo.run("--today", day, "record", "2026-0042", *args, "--commit")
        assert result.exit_code == 0, result.output


def _audit(repo: GitLedger, *args: str) -> tuple[int, dict[str, Any]]:
    result = repo.run("--format", "json", "audit", *args)
    return result.exit_code, json.loads(result.output)


def test_done_when_a_case_recorded_with_record_commit_passes_the_audit(repo: GitLedger) -> None:
    _record_whole_case(repo)
    assert repo.run("--today", "2026-11-12", "show", "2026-0042").exit_code in (0, 2)  # engine optional here
    code, report = _audit(repo)
    assert code == 0
    head = repo.git("rev-parse", "HEAD").strip()
    expected = {"ok": True, "violations": [], "warnings": [], "commits": 1 + len(STEPS), "head": head, "accepted": []}
    assert report == expected
    text = repo.run("audit")
    assert text.exit_code == 0
    assert text.output.strip() == f"ok: history is append-only ({1 + len(STEPS)} commit(s), 0 warning(s))"


def test_done_when_a_rewritten_event_is_caught_with_its_commit(repo: GitLedger) -> None:
    _record_whole_case(repo)
    repo.at("2026-11-20")
    repo.replace("amount: 750, ref: VIR SEPA 8812", "amount: 75, ref: VIR SEPA 8812")
    sha = repo.commit("Typo")
    code, report = _audit(repo)
    assert code == 1
    assert report["ok"] is False
    [violation] = report["violations"]
    assert violation["commit"] == sha
    assert violation["author"] == "Claire Martin"
    assert violation["file"] == CASE_PATH
    assert violation["date"] == "2026-11-20T12:00:00+02:00"
    assert violation["message"] == (
        "event 6 (2026-10-30 payment amount=750.00 ref=VIR SEPA 8812 by=Claire Martin) modified: amount 750.00 → 75.00"
    )
    text = repo.run("audit")
    assert text.exit_code == 1
    assert f"violation: {sha[:8]} 2026-11-20 12:00 Claire Martin: {CASE_PATH}: event 6" in text.output


def test_scripted_history_with_appends_rewrite_deletion_rename_and_backdating(repo: GitLedger) -> None:
    head = CASE.split("events:")[0]
    repo.write("ledger/cases/2026/2026-0043.yaml", head.replace("0042", "0043") + "events: []\n")
    repo.write("ledger/cases/2026/2026-0044.yaml", head.replace("0042", "0044"))
    repo.commit("Open 0043 and 0044")
    repo.at("2026-10-16")
    assert (
        repo.run("record", "2026-0042", "call", "outcome=no-answer", "--date", "2026-10-16", "--commit").exit_code == 0
    )
    repo.at("2026-10-17")
    repo.git("mv", CASE_PATH, "ledger/cases/2026-0042.yaml")
    renamed = repo.commit("Rename, same content")
    repo.at("2026-10-18")
    repo.replace("step: reminder-1, channel: email", "step: reminder-2, channel: email", "ledger/cases/2026-0042.yaml")
    rewrite = repo.commit("Rewrite a reminder")
    repo.at("2026-10-19")
    repo.replace("  - {date: 2026-09-26, type: reminder, step: pre-due}\n", "", "ledger/cases/2026-0042.yaml")
    deletion = repo.commit("Drop an event")
    repo.at("2026-10-20")
    repo.git("rm", "-q", "ledger/cases/2026/2026-0044.yaml")
    removed = repo.commit("Remove a case")
    repo.at("2026-12-20")
    assert (
        repo.run(
            "--today",
            "2026-12-20",
            "record",
            "2026-0043",
            "reminder",
            "step=pre-due",
            "--date",
            "2026-09-26",
            "--commit",
        ).exit_code
        == 0
    )
    backdated = repo.git("rev-parse", "HEAD").strip()
    repo.at("2026-12-21")
    repo.replace("amount: 1500.00", "amount: 1600.00", "ledger/cases/2026/2026-0043.yaml")
    invoice = repo.commit("Raise the invoice")

    code, report = _audit(repo)
    assert code == 1
    found = [(v["commit"], v["file"], v["message"]) for v in report["violations"]]
    assert found == [
        (
            rewrite,
            "ledger/cases/2026-0042.yaml",
            "event 2 (2026-10-02 reminder step=reminder-1 channel=email) modified: step reminder-1 → reminder-2",
        ),
        (deletion, "ledger/cases/2026-0042.yaml", "event 1 (2026-09-26 reminder step=pre-due) deleted"),
        (removed, "ledger/cases/2026/2026-0044.yaml", "case file deleted (1 invoice(s), 0 event(s))"),
        (
            invoice,
            "ledger/cases/2026/2026-0043.yaml",
            "invoice 1 (F2026-0043 1500.00 due 2026-10-01): amount 1500.00 → 1600.00",
        ),
    ]
    assert renamed not in {v["commit"] for v in report["violations"]}
    [warning] = report["warnings"]
    assert warning["commit"] == backdated
    assert warning["message"] == (
        "back-dated event, recorded 85 days after its date: 2026-09-26 reminder step=pre-due by=Claire Martin"
    )
    assert report["commits"] == 9

    code, since = _audit(repo, "--since", backdated)
    assert code == 1
    assert [v["commit"] for v in since["violations"]] == [invoice]
    assert since["commits"] == 1


def test_unreadable_revision_is_a_warning_and_compared_through(repo: GitLedger) -> None:
    repo.at("2026-10-05")
    repo.replace("client: acme-industrie", "client: [acme-industrie")
    broken = repo.commit("Broken YAML")
    repo.at("2026-10-06")
    repo.replace("client: [acme-industrie", "client: acme-industrie")
    repo.replace("step: pre-due", "step: reminder-1")
    fixed = repo.commit("Fix YAML and sneak a change in")
    code, report = _audit(repo)
    assert code == 1
    assert [w["commit"] for w in report["warnings"]] == [broken]
    assert "unreadable" in report["warnings"][0]["message"]
    assert [v["commit"] for v in report["violations"]] == [fixed]


def test_merges_are_audited_on_their_own_changes(repo: GitLedger) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.write("ledger/cases/2026/2026-0050.yaml", CASE.replace("0042", "0050"))
    repo.at("2026-10-03")
    repo.commit("Side case")
    repo.git("checkout", "-q", "main")
    repo.at("2026-10-04")
    assert repo.run("record", "2026-0042", "note", "note=main", "--date", "2026-10-04", "--commit").exit_code == 0
    repo.git("merge", "-q", "--no-edit", "side")
    code, report = _audit(repo)
    assert code == 0, report
    assert report["commits"] == 4  # the merge too: it is compared with each of its parents


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_ledger(tmp_path, monkeypatch, commit=False)
    (tmp_path / ".git").rename(tmp_path / "not-git")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = repo.run("audit")
    assert result.exit_code == 1
    assert "not in a git repository" in result.stderr


def test_unknown_since_revision_is_a_usage_error(repo: GitLedger) -> None:
    result = repo.run("audit", "--since", "no-such-tag")
    assert result.exit_code == 2
    assert "unknown revision 'no-such-tag'" in result.stderr


# --- the byte-level fast path must never accept a change that is not an append -------------

OLD = b"""id: x
events:
  - {date: 2026-10-01, type: note}
  - date: 2026-10-02
    type: note
    note: a plain
      multi-line note
# end
"""


def _shape(raw: bytes) -> int | None:
    return events_shape(raw, parse_yaml(raw)).dash


@pytest.mark.parametrize(
    ("new", "accepted"),
    [
        (OLD.replace(b"# end\n", b"  - {date: 2026-10-03, type: note}\n# end\n"), True),
        (OLD + b"  - {date: 2026-10-03, type: note}\n", True),
        (OLD.replace(b"# end\n", b"    amount: 9\n# end\n"), False),  # a key added to the last event
        (OLD.replace(b"# end\n", b"      continued\n# end\n"), False),  # the note continued
        (OLD + b"other: 1\n", False),  # a new top-level key
        (OLD + b"---\n", False),
        (OLD.replace(b"# end\n", b"\t- {date: 2026-10-03, type: note}\n"), False),
    ],
)
def test_fast_path_accepts_only_new_items(new: bytes, accepted: bool) -> None:
    dash = _shape(OLD)
    assert dash == 2
    assert (appended_text(OLD, new, dash) is not None) is accepted


def test_fast_path_needs_events_last_and_in_block_style() -> None:
    assert _shape(b"events:\n  - {date: 2026-10-01, type: note}\nid: x\n") is None
    assert _shape(b"id: x\nevents: [{date: 2026-10-01, type: note}]\n") is None
    assert _shape(b"id: x\nevents:\n- {date: 2026-10-01, type: note}\n") == 0
    # The count of items proves the `events:` line is the key, not text in a scalar.
    assert _shape(b'id: x\nnote: "a\nevents:\n  - b"\nevents:\n  - {date: 2026-10-01, type: note}\n') is None


# --- the one-line shortcut reads exactly what the YAML loader reads --------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from relancegit.git.audit import quick_items  # noqa: E402

_scalar_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(
        [
            "2026-10-30",
            "2026-02-30",
            "750",
            "750.00",
            "0750",
            "-5",
            "yes",
            "No",
            "~",
            "null",
            "1e3",
            ".5",
            "=",
            "a: b",
            "x #y",
            "it's",
            "VIR 8812",
            "é à",
        ]
    ),
)
_rendered = st.one_of(
    _scalar_text,
    _scalar_text.map(lambda t: "'" + t.replace("'", "''") + "'"),
    _scalar_text.map(lambda t: '"' + t + '"'),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["date", "type", "amount", "note", "ref", "by"]), _rendered), min_size=1, max_size=5
    )
)
def test_quick_items_agree_with_the_parser(pairs: list[tuple[str, str]]) -> None:
    line = ("  - {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}\n").encode()
    quick = quick_items(line)
    if quick is None:
        return
    [parsed] = parse_yaml(b"items:\n" + line)["items"]
    [item] = quick
    assert item.parse() == parsed
    when = parsed.get("date")
    assert item.when == (when if type(when) is date else None)


def test_appends_by_record_are_audited_without_parsing_whole_files(
    repo: GitLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    import relancegit.git.audit as audit_module

    _record_whole_case(repo)
    parsed: list[bytes] = []
    real = audit_module.parse_version

    def counting(raw: bytes) -> Any:
        parsed.append(raw)
        return real(raw)

    monkeypatch.setattr(audit_module, "parse_version", counting)
    code, _ = _audit(repo)
    assert code == 0
    assert len(parsed) == 1  # the file as created; every append after it is read on the bytes


def test_fast_path_from_an_empty_events_key() -> None:
    old = b"id: x\nevents:\n# none yet\n"
    assert events_shape(old, parse_yaml(old)).dash == -1
    assert appended_text(old, old + b"    - {date: 2026-10-03, type: note}\n", -1) is not None
    assert appended_text(old, old + b"other: 1\n", -1) is None
    assert events_shape(b"id: x\nevents: []\n", {"id": "x", "events": []}).dash is None
