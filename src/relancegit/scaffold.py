"""`relancegit init`: scaffold a ledger repository, and the JSON Schemas of the file kinds.

Layer: writes new files only (never overwrites a ledger); no computation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

from relancegit import __version__
from relancegit.model import Case, Client, Config
from relancegit.problems import RelancegitError

SCHEMAS: dict[str, type[Any]] = {
    "config.schema.json": Config,
    "client.schema.json": Client,
    "case.schema.json": Case,
}
SCHEMA_TITLES = {
    "config.schema.json": "relancegit ledger configuration (ledger/relancegit.yaml)",
    "client.schema.json": "relancegit client (ledger/clients/<id>.yaml)",
    "case.schema.json": "relancegit case (ledger/cases/**/<id>.yaml)",
}


def packaged_dir(name: str) -> Path:
    """A folder shipped in the wheel (`templates`, `demo`), or its source in a checkout."""
    inside = resources.files("relancegit").joinpath(name)
    if inside.is_dir():
        return Path(str(inside))
    source = {"demo": "ledger"}.get(name, name)
    checkout = Path(__file__).resolve().parents[2] / source
    if checkout.is_dir():
        return checkout
    raise RelancegitError(f"packaged folder '{name}' is missing from this installation")


def json_schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for filename, model in SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = SCHEMA_TITLES[filename]
        out[filename] = schema
    return out


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in json_schemas().items():
        path = folder / filename
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


CONFIG_TEMPLATE = """\
# yaml-language-server: $schema=../schemas/config.schema.json
# relancegit ledger configuration: the creditor (you) and the dunning rules.
# Reference: https://pypi.org/project/relancegit/ (README, "File format").
creditor:
  name: Ma Société SARL
  address:
    - 1 rue de l'Exemple
    - 75001 Paris
  # siren: "123456789"        # checked (Luhn)
  # vat: FR32123456789
  # iban: FR76 ...           # shown in letters
  # bic: ...
  email: compta@example.com
  signatory: Prénom Nom, gérant(e)
currency: EUR
language: fr
holidays: FR
penalties:
  rate: ecb+10               # Code de commerce L441-10: ECB rate + 10 points
  indemnity: 40              # D441-5: fixed recovery indemnity per late invoice
  claim_from_step: formal-notice
# smtp:                      # password from the environment: RELANCEGIT_SMTP_PASSWORD
#   host: smtp.example.com
#   port: 587
#   username: compta@example.com
#   from: "Ma Société <compta@example.com>"
#   starttls: true
"""

CLIENT_EXAMPLE = """\
# yaml-language-server: $schema=../../schemas/client.schema.json
# One file per debtor; its name is its id. Example:
# id: acme-industrie
# name: ACME Industrie SAS
# type: business            # or consumer
# relationship: standard    # loyal, standard or difficult: the tone of the letters
# address: [12 rue des Forges, 69007 Lyon]
# contacts:
#   - {name: Jeanne Roux, role: comptabilité, email: compta@acme.example}
"""

PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): `pip install pre-commit && pre-commit install`
repos:
  - repo: local
    hooks:
      - id: relancegit-check
        name: relancegit check
        entry: relancegit check
        language: system
        pass_filenames: false
        files: ^(ledger/|templates/)
"""

GITIGNORE = """\
site/
.relancegit-cache/
.relancegit/
outbox/
__pycache__/
"""

GITHUB_WORKFLOW = """\
# Check the ledger on every push and pull request; publish the dashboard to GitHub Pages on
# pushes to main and every morning (the agenda changes with the date, not only with commits).
name: relancegit
on:
  push:
  pull_request:
  schedule:
    - cron: "0 5 * * *"
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "relancegit>={version}"
      - run: relancegit check
      - run: relancegit audit
  publish:
    needs: check
    if: github.ref == 'refs/heads/main' && github.event_name != 'pull_request'
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "relancegit>={version}"
      - run: TZ=Europe/Paris relancegit build --redact -o site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
      - id: deployment
        uses: actions/deploy-pages@v4
"""

GITLAB_CI = """\
# Check the ledger on every push; publish the dashboard with GitLab Pages on the default
# branch and on a scheduled pipeline (CI/CD > Schedules: every day at 06:00 Europe/Paris).
image: python:3.11-slim
variables:
  GIT_DEPTH: "0"
before_script:
  - apt-get update -qq && apt-get install -y -qq git > /dev/null
  - pip install -q "relancegit>={version}"
check:
  stage: test
  script:
    - relancegit check
    - relancegit audit
pages:
  stage: deploy
  script:
    - TZ=Europe/Paris relancegit build --redact -o public
  artifacts:
    paths:
      - public
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - if: $CI_PIPELINE_SOURCE == "schedule"
"""

TEMPLATES_README = """\
Templates placed here override the packaged ones of the same name, e.g.
`letters/reminder-1.fr.md.j2` or `letters/reminder-1.difficult.fr.md.j2`.
Run `relancegit letter CASE --format md` to see the result.
"""


def init_repository(target: Path, demo: bool = False) -> list[Path]:
    """Scaffold a ledger repository in `target`; return the files written."""
    ledger = target / "ledger"
    if (ledger / "relancegit.yaml").exists():
        raise RelancegitError(f"{ledger / 'relancegit.yaml'} already exists: not overwriting a ledger")
    written: list[Path] = []

    def put(relative: str, text: str) -> None:
        path = target / relative
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    version = __version__
    if demo:
        shutil.copytree(packaged_dir("demo"), ledger, dirs_exist_ok=True, ignore=shutil.ignore_patterns("COVERAGE.md"))
        written.extend(sorted(p for p in ledger.rglob("*") if p.is_file()))
    else:
        put("ledger/relancegit.yaml", CONFIG_TEMPLATE)
        put("ledger/clients/README.example.yaml.txt", CLIENT_EXAMPLE)
        put("ledger/cases/.gitkeep", "")
    put("templates/README.md", TEMPLATES_README)
    written.extend(write_schemas(target / "schemas"))
    put(".pre-commit-config.yaml", PRE_COMMIT)
    put(".gitignore", GITIGNORE)
    put(".github/workflows/relancegit.yml", GITHUB_WORKFLOW.format(version=version))
    put(".gitlab-ci.yml", GITLAB_CI.format(version=version))
    put(".vscode/settings.json", json.dumps(_vscode_settings(), indent=2) + "\n")
    if not (target / ".git").exists() and shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(target)], check=False)
    return written


def _vscode_settings() -> dict[str, Any]:
    """Associate the schemas with the ledger files for the YAML language server."""
    return {
        "yaml.schemas": {
            "./schemas/config.schema.json": "ledger/relancegit.yaml",
            "./schemas/client.schema.json": "ledger/clients/*.yaml",
            "./schemas/case.schema.json": "ledger/cases/**/*.yaml",
        }
    }
