"""A publishable package: the wheel and sdist build and pass `twine check`, and the wheel alone,
installed in a clean virtualenv, runs the main job with its templates and demo data inside.

The clean virtualenv installs offline from build/wheelhouse, the locked runtime wheels that
scripts/run-tests downloads (requirements/runtime.lock)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from relancegit import __version__
from tests.conftest import REPO

WHEELHOUSE = REPO / "build" / "wheelhouse"


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, cwd=cwd, env=env, timeout=600
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # The sdist first, then the wheel built from the sdist: what PyPI users would get.
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO)
    return out


def test_wheel_and_sdist_pass_twine_check(dist: Path):
    wheel = [p.name for p in dist.glob("*.whl")]
    sdist = [p.name for p in dist.glob("*.tar.gz")]
    assert wheel == [f"relancegit-{__version__}-py3-none-any.whl"]
    assert sdist == [f"relancegit-{__version__}.tar.gz"]
    output = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir()))
    assert output.count("PASSED") == 2


def test_the_wheel_alone_runs_the_main_job(dist: Path, tmp_path: Path):
    if not any(WHEELHOUSE.glob("*.whl")):
        pytest.fail(f"{WHEELHOUSE} is empty: scripts/run-tests downloads the locked runtime wheels there")
    clean = tmp_path / "venv"
    venv.create(clean, with_pip=True, system_site_packages=False)
    python = clean / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    run(python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", WHEELHOUSE, wheel)

    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "RELANCEGIT_LEDGER"}}
    env["PATH"] = f"{clean / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "work"
    work.mkdir()
    where = run(python, "-c", "import relancegit; print(relancegit.__file__)", cwd=work, env=env)
    assert Path(where.strip()).is_relative_to(clean)  # the installed wheel, not this checkout
    relancegit = clean / "bin" / "relancegit"
    assert run(relancegit, "--version", cwd=work, env=env).strip() == f"relancegit, version {__version__}"

    run(relancegit, "init", "repo", "--demo", cwd=work, env=env)
    assert (work / "repo/docs/format.md").is_file()  # the reference travels with the ledger
    workflow = (work / "repo/.github/workflows/relancegit.yml").read_text(encoding="utf-8")
    assert f'RELANCEGIT: "relancegit=={__version__}"' in workflow
    today = ("--ledger", "repo/ledger", "--today", "2026-11-23")
    assert re.match(r"ok: \d+ cases", run(relancegit, *today, "check", cwd=work, env=env))
    agenda = run(relancegit, *today, "next", "--format", "json", cwd=work, env=env)
    assert '"case": "2026-0220"' in agenda
    run(relancegit, *today, "letter", "2026-0220", "--format", "pdf", "-o", "letters", cwd=work, env=env)
    pdf = next((work / "letters").glob("2026-0220-*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    run(relancegit, *today, "build", "-o", "site", cwd=work, env=env)
    assert (work / "site/index.html").is_file() and (work / "site/cases/2026-0220.html").is_file()
