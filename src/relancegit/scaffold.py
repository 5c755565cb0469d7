"""`relancegit init`: scaffold a ledger repository, and the JSON Schemas of the file kinds.

Layer: writes new files only (never overwrites a ledger); no computation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from relancegit import __version__
from relancegit.files import packaged_dir
from relancegit.model import DEFAULT_POLICY, Case, Client, Config
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


def json_schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for filename, model in SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True)
        schema = _for_editors(schema, schema.get("$defs", {}))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = SCHEMA_TITLES[filename]
        out[filename] = schema
    return out


def _for_editors(node: Any, defs: dict[str, Any]) -> Any:
    """Rewrite what pydantic generates so that a validator names the problem as `check` does.

    - a union tagged by `type` (`oneOf` + OpenAPI's `discriminator`, which JSON Schema ignores:
      a validator then reports the first branch's mismatch) becomes an `enum` of the types plus
      one `if`/`then` per type: an unknown type is reported with the list of known ones;
    - an optional value (`anyOf: [X, {type: null}]`) becomes X accepting null: an enum lists its
      values (`channel: courrier`), a date says it is not a date, instead of "not valid under
      any of the given schemas".
    """
    if isinstance(node, list):
        return [_for_editors(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _for_editors(value, defs) for key, value in node.items()}
    if "discriminator" in node and "oneOf" in node:
        return _tagged_union(node)
    branches = node.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
        other = branches[0] if branches[1] == {"type": "null"} else branches[1]
        nullable = _nullable(other, defs)
        if nullable is not None:
            rest = {key: value for key, value in node.items() if key != "anyOf"}
            return {**nullable, **rest}
    return node


def _tagged_union(node: dict[str, Any]) -> dict[str, Any]:
    tag = node["discriminator"]["propertyName"]
    mapping: dict[str, str] = node["discriminator"]["mapping"]
    rest = {key: value for key, value in node.items() if key not in ("discriminator", "oneOf")}
    return {
        **rest,
        "type": "object",
        "required": [tag],
        "properties": {tag: {"enum": list(mapping)}},
        "allOf": [
            {"if": {"properties": {tag: {"const": value}}, "required": [tag]}, "then": {"$ref": ref}}
            for value, ref in mapping.items()
        ],
    }


def _nullable(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """`schema` also accepting null, without `anyOf`; None if it cannot be said simply."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/") and "enum" in defs.get(ref.removeprefix("#/$defs/"), {}):
        schema = {key: value for key, value in defs[ref.removeprefix("#/$defs/")].items() if key != "title"}
    if "enum" in schema:
        return {**{k: v for k, v in schema.items() if k != "type"}, "enum": [*schema["enum"], None]}
    kind = schema.get("type")
    if isinstance(kind, str) and kind not in ("object", "array"):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list) and "object" not in kind and "array" not in kind:
        return {**schema, "type": [*kind, "null"]}
    return None


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in json_schemas().items():
        path = folder / filename
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


CONFIG_HEAD = """\
# yaml-language-server: $schema=../schemas/config.schema.json
# relancegit ledger configuration: the creditor (you) and the dunning rules.
# Reference: docs/format.md (every key), `relancegit --help`, `relancegit rates`.
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
@POLICY@
# smtp:                      # password from the environment: RELANCEGIT_SMTP_PASSWORD
#   host: smtp.example.com
#   port: 587
#   username: compta@example.com
#   from: "Ma Société <compta@example.com>"
#   starttls: true
"""


def _policy_comment() -> str:
    """The built-in `default` policy as commented YAML, written from the model so it cannot drift:
    uncommented, it is exactly the default."""
    policy = DEFAULT_POLICY
    steps = [
        f"#       - {{id: {s.id}, offset: {s.offset}, channel: {s.channel.value}"
        + (f", deadline_days: {s.deadline_days}" if s.deadline_days is not None else "")
        + f", auto: {str(s.auto).lower()}}}"
        for s in policy.steps
    ]
    return "\n".join(
        [
            "# Dunning policy (relance): the built-in `default`, to edit once uncommented. Other",
            "# policies may be added beside it and named in a client's or a case's `policy:`.",
            "# offset: days from the due date; auto: true lets `relancegit send --due` e-mail that step.",
            "# policies:",
            "#   default:",
            f"#     min_gap_days: {policy.min_gap_days}          # days between two contacts, at least",
            f"#     grace_days: {policy.grace_days}            # tolerance after a promised or instalment date",
            f"#     dispute_review_days: {policy.dispute_review_days}  # when an open dispute is looked at again",
            f"#     escalation_days: {policy.escalation_days}      # days past due before escalation is flagged",
            f"#     on_broken_plan: {policy.on_broken_plan}  # the step a broken payment plan jumps to",
            "#     steps:",
            *steps,
        ]
    )


CONFIG_TEMPLATE = CONFIG_HEAD.replace("@POLICY@", _policy_comment())

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

PRE_COMMIT_CONFIG = """\
# For repositories that use the pre-commit framework (https://pre-commit.com) instead of the
# hook `relancegit init` installed (.githooks/pre-commit): `pre-commit install`.
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
.venv/
venv/
"""

# Documents of the installed package copied into a new ledger repository, so that what its
# files and messages point to is at hand.
USER_DOCS = ("format.md", "engine.md", "legal-fr.md", "commands.md", "import.md", "match.md")
HOOKS_DIR = ".githooks"


def _scaffold_file(name: str) -> str:
    text = resources.files("relancegit").joinpath("data", "scaffold", name).read_text(encoding="utf-8")
    return text.replace("@VERSION@", __version__)


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

    if demo:
        shutil.copytree(packaged_dir("demo"), ledger, dirs_exist_ok=True, ignore=shutil.ignore_patterns("COVERAGE.md"))
        written.extend(sorted(p for p in ledger.rglob("*") if p.is_file()))
    else:
        put("ledger/relancegit.yaml", CONFIG_TEMPLATE)
        put("ledger/clients/README.example.yaml.txt", CLIENT_EXAMPLE)
        put("ledger/cases/.gitkeep", "")
    put("README.md", _scaffold_file("README.md"))
    put("templates/README.md", TEMPLATES_README)
    written.extend(write_schemas(target / "schemas"))
    docs = packaged_dir("docs")
    for name in USER_DOCS:
        if (docs / name).is_file():
            put(f"docs/{name}", (docs / name).read_text(encoding="utf-8"))
    put(f"{HOOKS_DIR}/pre-commit", _scaffold_file("pre-commit"))
    (target / HOOKS_DIR / "pre-commit").chmod(0o755)
    put(".pre-commit-config.yaml", PRE_COMMIT_CONFIG)
    put(".gitignore", GITIGNORE)
    put(".github/workflows/relancegit.yml", _scaffold_file("github-workflow.yml"))
    put(".gitlab-ci.yml", _scaffold_file("gitlab-ci.yml"))
    put(".vscode/settings.json", json.dumps(_vscode_settings(), indent=2) + "\n")
    if not (target / ".git").exists() and shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(target)], check=False)
    return written


def install_hook(target: Path) -> str:
    """Enable the repository's pre-commit hook (`git config core.hooksPath .githooks`) and
    remember which relancegit ran `init`; say what was done, or why not and what to run."""
    manual = f"to enable it: cd {target} && git config core.hooksPath {HOOKS_DIR}"
    git = shutil.which("git")
    if git is None or not (target / ".git").exists():
        return f"pre-commit hook not enabled: no git repository here; {manual}"

    def config(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, "-C", str(target), "config", *args], capture_output=True, text=True, check=False)

    current = config("--get", "core.hooksPath").stdout.strip()
    existing = target / ".git" / "hooks" / "pre-commit"
    if current and current != HOOKS_DIR:
        return (
            f"pre-commit hook not enabled: core.hooksPath is already '{current}'; call {HOOKS_DIR}/pre-commit from it"
        )
    if existing.exists():
        return f"pre-commit hook not enabled: {existing} exists; call {HOOKS_DIR}/pre-commit from it, or {manual}"
    if config("core.hooksPath", HOOKS_DIR).returncode != 0:
        return f"pre-commit hook not enabled: git config failed; {manual}"
    # The console script beside the interpreter running now: the hook finds it even when the
    # commit is made outside this virtualenv.
    here = shutil.which("relancegit", path=str(Path(sys.executable).parent))
    if here:
        config("relancegit.command", str(Path(here).resolve()))
    return f"pre-commit hook enabled: {HOOKS_DIR}/pre-commit runs 'relancegit check' on what each commit stages"


def _vscode_settings() -> dict[str, Any]:
    """Associate the schemas with the ledger files for the YAML language server."""
    return {
        "yaml.schemas": {
            "./schemas/config.schema.json": "ledger/relancegit.yaml",
            "./schemas/client.schema.json": "ledger/clients/*.yaml",
            "./schemas/case.schema.json": "ledger/cases/**/*.yaml",
        }
    }
