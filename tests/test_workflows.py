"""The CI workflow files of this repository and those `relancegit init` writes: valid YAML,
a check on every push and pull request, the dashboard published on main and on a schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

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
    jobs = workflow["jobs"]
    assert "relancegit check" in _runs(jobs["check"])
    publish = jobs["publish"]
    assert publish["needs"] == "check" and "refs/heads/main" in publish["if"]
    steps = _runs(publish)
    assert "relancegit build --redact -o site" in steps
    assert "actions/upload-pages-artifact" in steps and "actions/deploy-pages" in steps
    assert workflow["permissions"]["pages"] == "write"


def test_gitlab_ci_written_by_init(scaffolded):
    pipeline = _load(scaffolded / ".gitlab-ci.yml")
    assert "relancegit check" in pipeline["check"]["script"]
    pages = pipeline["pages"]
    assert any("relancegit build --redact -o public" in line for line in pages["script"])
    assert pages["artifacts"]["paths"] == ["public"]
    assert any('$CI_PIPELINE_SOURCE == "schedule"' in rule["if"] for rule in pages["rules"])
    assert "Schedules" in (scaffolded / ".gitlab-ci.yml").read_text(encoding="utf-8")
