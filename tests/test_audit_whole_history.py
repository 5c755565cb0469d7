"""`relancegit audit` never says "ok" on a history it cannot vouch for (SPEC §10.2).

Real repositories throughout: shallow clones, grafts and missing objects are refused; merges
are compared with each parent; a rewrite of published history is caught through the head
recorded at the last audit; `--since` must be in HEAD's history; values written in another
form (quoted or not) are the same value.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from gitledger import CASE, CASE_PATH, GitLedger, make_ledger

from relancegit.cli import main

OTHER_PATH = "ledger/cases/2026/2026-0050.yaml"
FETCH_HINTS = ("git fetch --unshallow", "fetch-depth: 0", "GIT_DEPTH: 0")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitLedger:
    (tmp_path / "origin").mkdir()
    repo = make_ledger(tmp_path / "origin", monkeypatch)
    repo.write(OTHER_PATH, CASE.replace("0042", "0050").replace("F2026-0050", "F2026-0050"))
    repo.at("2026-10-03")
    repo.commit("Open case 2026-0050")
    return repo


def _record(repo: GitLedger, case: str, day: str, *args: str) -> str:
    repo.at(day)
    result = repo.run("--today", day, "record", case, *args, "--date", day, "--commit")
    assert result.exit_code == 0, result.output
    return repo.git("rev-parse", "HEAD").strip()


def _audit_clone(ledger: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(ledger), "audit", *args], catch_exceptions=False)


def _audit_json(repo: GitLedger, *args: str) -> tuple[int, dict[str, Any]]:
    result = repo.run("--format", "json", "audit", *args)
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)


def _clone(repo: GitLedger, target: Path, *args: str) -> Path:
    # file:// makes git transfer objects as over a network: only what the clone asks for.
    repo.git("clone", "-q", *args, f"file://{repo.root}", str(target))
    return target / "ledger"


# --- 1. a shallow or incomplete history is refused ---------------------------------------------


def test_shallow_clone_is_refused_and_audited_once_unshallowed(repo: GitLedger, tmp_path: Path) -> None:
    _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750", "ref=VIR 8812")
    repo.at("2026-11-02")
    repo.replace("amount: 750, ref: VIR 8812", "amount: 75, ref: VIR 8812")
    rewrite = repo.commit("Edit a committed payment")

    ledger = _clone(repo, tmp_path / "ci", "--depth", "1")
    result = _audit_clone(ledger)
    assert result.exit_code == 1
    assert "ok" not in result.stdout
    assert result.stderr.startswith(
        "relancegit: error: incomplete git history: this is a shallow clone (only the latest commits were fetched)."
    )
    for hint in FETCH_HINTS:
        assert hint in result.stderr

    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=ledger.parent, check=True)
    result = _audit_clone(ledger)
    assert result.exit_code == 1
    assert f"violation: {rewrite[:8]} 2026-11-02 12:00 Claire Martin: {CASE_PATH}: event 3 (" in result.stdout


def test_grafts_and_replaced_commits_are_refused(repo: GitLedger) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    grafts = repo.root / ".git" / "info" / "grafts"
    grafts.parent.mkdir(exist_ok=True)
    grafts.write_text(f"{head}\n")  # HEAD without parents: the history before it vanishes
    result = repo.run("audit")
    assert result.exit_code == 1
    assert "incomplete git history: .git/info/grafts rewrites the parents of commits" in result.stderr
    grafts.unlink()

    repo.git("replace", "--graft", head)  # the same trick with `git replace`
    result = repo.run("audit")
    assert result.exit_code == 1
    assert f"incomplete git history: refs/replace/{head} substitutes" in result.stderr
    repo.git("replace", "-d", head)
    assert repo.run("audit").exit_code == 0


def test_missing_commit_or_file_content_is_refused(repo: GitLedger) -> None:
    _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750")
    objects = repo.root / ".git" / "objects"
    opened = repo.git("rev-parse", "HEAD~2").strip()  # "Open case 2026-0042"
    (objects / opened[:2] / opened[2:]).unlink()
    result = repo.run("audit")
    assert result.exit_code == 1
    assert result.stderr.startswith("relancegit: error: incomplete git history: git ")
    for hint in FETCH_HINTS:
        assert hint in result.stderr
    assert "Traceback" not in result.output


def test_missing_file_content_is_refused(repo: GitLedger) -> None:
    _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750")
    blob = repo.git("rev-parse", f"HEAD~1:{CASE_PATH}").strip()
    (repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = repo.run("audit")
    assert result.exit_code == 1
    assert f"incomplete git history: file content {blob} is missing from the repository" in result.stderr


# --- 2. merges: whatever a parent committed must survive ----------------------------------------


def _diverge(repo: GitLedger) -> tuple[str, str]:
    """A payment on `side`, the other case recorded on `main`."""
    repo.git("checkout", "-q", "-b", "side")
    payment = _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750", "ref=VIR 8812")
    repo.git("checkout", "-q", "main")
    other = _record(repo, "2026-0050", "2026-10-31", "call", "outcome=reached")
    return payment, other


def test_merge_keeping_ours_drops_a_payment_and_is_caught(repo: GitLedger) -> None:
    payment, _ = _diverge(repo)
    repo.at("2026-11-01")
    repo.git("merge", "-q", "-s", "ours", "--no-edit", "side")
    merge = repo.git("rev-parse", "HEAD").strip()
    assert b"payment" not in repo.read()
    code, report = _audit_json(repo)
    assert code == 1
    [violation] = report["violations"]
    assert violation["commit"] == merge
    assert violation["file"] == CASE_PATH
    assert violation["message"] == (
        f"merge drops what parent {payment[:8]} has: event 3 "
        "(2026-10-30 payment amount=750.00 ref=VIR 8812 by=Claire Martin) deleted"
    )
    text = repo.run("audit")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[-1].startswith("audit failed: 1 violation(s)")


def test_conflict_resolved_as_ours_is_caught_and_resolved_with_both_passes(repo: GitLedger) -> None:
    repo.git("checkout", "-q", "-b", "side")
    payment = _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750")
    repo.git("checkout", "-q", "main")
    _record(repo, "2026-0042", "2026-10-31", "call", "outcome=no-answer")
    ours = repo.read()
    theirs = repo.git("show", f"side:{CASE_PATH}").encode()
    repo.at("2026-11-01")
    with pytest.raises(subprocess.CalledProcessError):  # the conflict
        repo.git("merge", "-q", "--no-edit", "side")

    # Kept both, in date order: nothing is lost, the merge passes.
    both = theirs + ours.splitlines(keepends=True)[-1]
    repo.write(CASE_PATH, both)
    repo.commit("Merge side, both events")
    assert _audit_json(repo)[0] == 0

    # The same conflict, resolved by keeping ours: the payment is gone.
    repo.git("reset", "-q", "--hard", "HEAD~1")
    with pytest.raises(subprocess.CalledProcessError):
        repo.git("merge", "-q", "--no-edit", "side")
    repo.write(CASE_PATH, ours)
    merge = repo.commit("Merge side, keeping ours")
    code, report = _audit_json(repo)
    assert code == 1
    assert [(v["commit"], v["message"]) for v in report["violations"]] == [
        (
            merge,
            f"merge drops what parent {payment[:8]} has: event 3 (2026-10-30 payment amount=750.00 by=Claire Martin) "
            "deleted",
        )
    ]


def test_conflict_markers_committed_then_resolved_as_ours_is_caught(repo: GitLedger) -> None:
    repo.git("checkout", "-q", "-b", "side")
    payment = _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750")
    repo.git("checkout", "-q", "main")
    _record(repo, "2026-0042", "2026-10-31", "call", "outcome=no-answer")
    ours = repo.read()
    repo.at("2026-11-01")
    with pytest.raises(subprocess.CalledProcessError):
        repo.git("merge", "-q", "--no-edit", "side")
    merge = repo.commit("Merge side")  # the conflict markers with it: not YAML
    repo.at("2026-11-02")
    repo.write(CASE_PATH, ours)
    fix = repo.commit("Fix the merge")
    code, report = _audit_json(repo)
    assert code == 1
    assert [(w["commit"], w["message"][:30]) for w in report["warnings"]] == [(merge, "file unreadable in this commit")]
    assert [(v["commit"], v["message"]) for v in report["violations"]] == [
        (
            fix,
            f"drops what {payment[:8]} has (compared through the unreadable revision): "
            "event 3 (2026-10-30 payment amount=750.00 by=Claire Martin) deleted",
        )
    ]


def test_normal_merge_of_two_branches_recording_different_cases_passes(repo: GitLedger) -> None:
    _diverge(repo)
    repo.at("2026-11-01")
    repo.git("merge", "-q", "--no-edit", "side")
    assert b"payment" in repo.read() and b"reached" in repo.read(OTHER_PATH)
    code, report = _audit_json(repo)
    assert code == 0, report
    assert report["violations"] == []
    assert report["commits"] == 5  # two openings, two records, and the merge


def test_merge_that_changes_an_amount_or_drops_an_invoice_is_caught(repo: GitLedger) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.replace(
        "    amount: 1500.00\n",
        "    amount: 1500.00\n  - {number: F2026-0099, date: 2026-10-05, due: 2026-11-04, amount: 90}\n",
    )
    repo.at("2026-10-05")
    side = repo.commit("Second invoice")
    repo.git("checkout", "-q", "main")
    _record(repo, "2026-0050", "2026-10-31", "call", "outcome=reached")
    repo.at("2026-11-01")
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write(CASE_PATH, repo.git("show", f"main:{CASE_PATH}").replace("amount: 1500.00", "amount: 1400.00"))
    merge = repo.commit("Merge side")
    code, report = _audit_json(repo)
    assert code == 1
    main_parent = repo.git("rev-parse", "HEAD^1").strip()
    assert sorted((v["commit"], v["message"]) for v in report["violations"]) == sorted(
        [
            (
                merge,
                f"merge drops what parent {main_parent[:8]} has: invoice 1 (F2026-0042 1500.00 due 2026-10-01): "
                "amount 1500.00 → 1400.00",
            ),
            (
                merge,
                f"merge drops what parent {side[:8]} has: invoice 1 (F2026-0042 1500.00 due 2026-10-01): "
                "amount 1500.00 → 1400.00",
            ),
            (merge, f"merge drops what parent {side[:8]} has: invoice 2 (F2026-0099 90.00 due 2026-11-04) removed"),
        ]
    )


# --- 3. a rewrite of published history; --since must be in HEAD's history ------------------------


def _filter_branch(repo: GitLedger, old: str, new: str) -> None:
    script = f"sed -i 's/{old}/{new}/' {CASE_PATH} 2>/dev/null || true"
    repo.git("filter-branch", "-f", "--tree-filter", script, "HEAD")


def test_filter_branch_rewrite_is_caught_through_the_published_head(
    repo: GitLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILTER_BRANCH_SQUELCH_WARNING", "1")
    _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750", "ref=VIR 8812")
    published = tmp_path / "published" / "audit-head.json"
    result = repo.run("--today", "2026-10-30", "audit", "--published", str(published))
    assert result.exit_code == 0, result.output
    head = repo.git("rev-parse", "HEAD").strip()
    assert json.loads(published.read_text()) == {"head": head, "date": "2026-10-30"}

    _filter_branch(repo, "amount: 750, ref: VIR 8812", "amount: 75, ref: VIR 8812")
    assert b"amount: 75, ref" in repo.read()
    assert repo.run("audit").exit_code == 0  # the rewritten history looks append-only by itself

    result = repo.run("audit", "--published", str(published))
    assert result.exit_code == 1
    new_head = repo.git("rev-parse", "HEAD").strip()
    assert result.stderr == (
        f"relancegit: error: history rewritten since it was published: commit {head[:8]}, audited and published "
        f"on 2026-10-30 (recorded in {published}), is not an ancestor of HEAD ({new_head[:8]}). Commits already "
        "published were changed or removed (a rebase, amend or filter-branch, then a force-push); restore them "
        "from a copy that has them, or find out who rewrote them\n"
    )
    assert json.loads(published.read_text())["head"] == head  # not overwritten by a failed audit

    # CI: a fresh clone of the force-pushed branch does not even have the published commit.
    ledger = _clone(repo, tmp_path / "ci")
    result = _audit_clone(ledger, "--published", str(published))
    assert result.exit_code == 1
    assert f"commit {head[:8]}, audited and published on 2026-10-30" in result.stderr
    assert "is not in this repository" in result.stderr


def test_published_head_moves_forward_with_appends_and_defaults_beside_the_ledger(repo: GitLedger) -> None:
    default = repo.root / "site" / "audit-head.json"
    assert repo.run("audit", "--published").exit_code == 0
    first = json.loads(default.read_text())["head"]
    assert first == repo.git("rev-parse", "HEAD").strip()
    _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750")
    assert repo.run("audit", "--published").exit_code == 0
    assert json.loads(default.read_text())["head"] == repo.git("rev-parse", "HEAD").strip() != first

    # `build` accepts the folder holding only the audit's file, and keeps the file.
    built = repo.run("build")
    assert built.exit_code == 0, built.output
    assert (repo.root / "site" / "index.html").is_file()
    assert json.loads(default.read_text())["head"] == repo.git("rev-parse", "HEAD").strip()
    assert repo.run("build").exit_code == 0
    assert default.is_file()

    # A violation: the head is not moved forward.
    repo.at("2026-11-02")
    repo.replace("amount: 750", "amount: 700")
    repo.commit("Edit the payment")
    before = default.read_text()
    assert repo.run("audit", "--published").exit_code == 1
    assert default.read_text() == before


def test_damaged_published_file_is_reported_at_its_position(repo: GitLedger, tmp_path: Path) -> None:
    published = tmp_path / "audit-head.json"
    published.write_text('{\n  "head": \n}\n')
    result = repo.run("audit", "--published", str(published))
    assert result.exit_code == 1
    assert result.stderr == (f"{published}:3:1: error: not the JSON `audit --published` writes: Expecting value\n")
    published.write_text('{"head": "main"}\n')
    result = repo.run("audit", "--published", str(published))
    assert result.exit_code == 1
    assert result.stderr.startswith(f'{published}:1:1: error: expected {{"head": "<commit id>"')


def test_since_must_be_an_ancestor_of_head(repo: GitLedger) -> None:
    repo.git("checkout", "-q", "-b", "elsewhere")
    elsewhere = _record(repo, "2026-0042", "2026-10-30", "payment", "amount=750")
    repo.git("checkout", "-q", "main")
    head = repo.git("rev-parse", "HEAD").strip()
    result = repo.run("audit", "--since", "elsewhere")
    assert result.exit_code == 1
    assert result.stderr == (
        f"relancegit: error: --since: elsewhere ({elsewhere[:8]}) is not an ancestor of HEAD ({head[:8]}): the "
        "commits after it are not HEAD's history. Give a commit HEAD descends from (e.g. the last audited tag), "
        "or audit without --since\n"
    )
    assert repo.run("audit", "--since", "HEAD~1").exit_code == 0
    unknown = repo.run("audit", "--since", "no-such-tag")
    assert unknown.exit_code == 2
    assert "--since: unknown revision 'no-such-tag'" in unknown.stderr


# --- 4. values compare semantically ------------------------------------------------------------


def test_quoting_a_value_is_no_change_and_a_real_change_still_is(repo: GitLedger) -> None:
    _record(repo, "2026-0042", "2026-10-30", "payment", "amount=10320.00", "ref=8812")
    repo.at("2026-11-02")
    repo.replace("amount: 1500.00", 'amount: "1500.00"')
    repo.replace("due: 2026-10-01", "due: '2026-10-01'")
    repo.replace("amount: 10320.00, ref: '8812'", 'amount: "10320.00", ref: 8812')
    repo.replace("{date: 2026-09-26,", '{date: "2026-09-26",')
    requoted = repo.commit("Quote values")
    code, report = _audit_json(repo)
    assert code == 0, report
    history = json.loads(repo.run("--format", "json", "history", "2026-0042").stdout)
    [entry] = [e for e in history if e["commit"] == requoted]
    assert entry["changes"] == []
    assert f"{requoted[:8]}" in repo.run("history", "2026-0042").stdout
    assert "    ~ no change in ledger terms" in repo.run("history", "2026-0042").stdout

    repo.at("2026-11-03")
    repo.replace('amount: "10320.00"', 'amount: "10320.01"')
    changed = repo.commit("Change the amount, quoted")
    code, report = _audit_json(repo)
    assert code == 1
    assert [(v["commit"], v["message"]) for v in report["violations"]] == [
        (
            changed,
            "event 3 (2026-10-30 payment amount=10320.00 ref=8812 by=Claire Martin) modified: "
            "amount 10320.00 → 10320.01",
        )
    ]
