"""Every command has help and is documented in the README's command table; docs/format.md
documents every key of the model; no message, comment or doc points to a document users lack."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from click.testing import CliRunner
from conftest import REPO
from pydantic import BaseModel

from relancegit.cli import main
from relancegit.model import (
    EVENT_TYPES,
    Case,
    Client,
    Config,
    Contact,
    Creditor,
    EventBase,
    Installment,
    Invoice,
    Penalties,
    Policy,
    RateRow,
    Smtp,
    Step,
)

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_the_command_list_is_complete():
    assert set(COMMANDS) >= {
        "init", "check", "schema", "show", "list", "next", "report", "calendar",
        "letter", "send", "build", "record", "history", "audit",
    }  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme_table(name: str):
    assert re.search(rf"^\| `{re.escape(name)}\b", README, flags=re.MULTILINE), f"README lacks `{name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert main.commands[name].help, f"{name} has no docstring"
    assert "Usage: " in result.stdout


# --- docs/format.md documents every key of the model -----------------------------------------

FORMAT_MD = REPO / "docs" / "format.md"


def _sections(text: str) -> dict[str, str]:
    """Each heading's text (without the #s) -> its body, up to the next heading of any level."""
    sections: dict[str, str] = {}
    heading, body = "", []  # type: ignore[var-annotated]
    for line in text.splitlines():
        if line.startswith("#"):
            sections[heading] = "\n".join(body)
            heading, body = line.lstrip("#").strip(), []
        else:
            body.append(line)
    sections[heading] = "\n".join(body)
    return sections


def _row(body: str, key: str) -> list[str] | None:
    """The cells of the table row documenting `key` (`| `key` | type | default | meaning |`)."""
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == f"`{key}`":
            return cells
    return None


def _default_text(value: object) -> str | None:
    """How a scalar default is written in the table's default column, None for the others."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, str, Decimal)):
        return f"`{value}`"
    return None


def model_sections() -> dict[str, type[BaseModel]]:
    """The section of docs/format.md that documents each file model."""
    return {
        "Top-level keys": Config,
        "Creditor": Creditor,
        "Penalties": Penalties,
        "Rates": RateRow,
        "Policies": Policy,
        "Steps": Step,
        "SMTP": Smtp,
        "`clients/<id>.yaml`": Client,
        "Contact": Contact,
        "Case keys": Case,
        "Invoice keys": Invoice,
        "Events": EventBase,
        "Installment": Installment,
        **{f"`{name}`": model for name, model in EVENT_TYPES.items()},
    }


def undocumented(text: str) -> list[str]:
    """Every field of the model that docs/format.md does not document in its section's table,
    with its default (scalar defaults) and whether it is required, as 'Model.key: why'."""
    sections = _sections(text)
    found: list[str] = []
    for heading, model in model_sections().items():
        if heading not in sections:
            found.append(f"{model.__name__}: no section '{heading}'")
            continue
        body = sections[heading]
        own = model.model_fields.items()
        if issubclass(model, EventBase) and model is not EventBase:
            own = [(k, v) for k, v in own if k not in EventBase.model_fields and k != "type"]
        elif model is EventBase:
            own = [*own, ("type", None)]  # type: ignore[list-item]
        for name, info in own:
            key = info.alias if info is not None and info.alias else name
            row = _row(body, key)
            if row is None:
                found.append(f"{model.__name__}.{key}: not in the table of '{heading}'")
                continue
            required = info is None or info.is_required()
            if required != ("required" in row[1]):
                found.append(f"{model.__name__}.{key}: 'required' is {'missing' if required else 'wrong'}")
            expected = None if info is None or required else _default_text(info.default)
            if expected is not None and expected not in row[2]:
                found.append(f"{model.__name__}.{key}: default should read {expected}, not '{row[2]}'")
    return found


def test_format_md_documents_every_field_of_the_model():
    assert undocumented(FORMAT_MD.read_text(encoding="utf-8")) == []


def test_format_md_documents_exactly_the_event_types():
    sections = _sections(FORMAT_MD.read_text(encoding="utf-8"))
    events = FORMAT_MD.read_text(encoding="utf-8").split("\n## Events\n", 1)[1]
    documented = re.findall(r"^### `([a-z-]+)`$", events, flags=re.MULTILINE)
    assert documented == list(EVENT_TYPES)
    assert all(f"`{name}`" in sections for name in EVENT_TYPES)


@pytest.mark.parametrize(
    ("drop", "reported"),
    [
        ("| `ssl` |", "Smtp.ssl: not in the table of 'SMTP'"),
        ("| `from` |", "Smtp.from: not in the table of 'SMTP'"),
        ("| `outcome` |", "Call.outcome: not in the table of '`call`'"),
        ("| `deadline_days` |", "Step.deadline_days: not in the table of 'Steps'"),
        ("| `by` |", "EventBase.by: not in the table of 'Events'"),
    ],
)
def test_a_field_missing_from_format_md_is_reported(drop: str, reported: str):
    lines = FORMAT_MD.read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith(drop) for line in lines) >= 1
    assert undocumented("\n".join(line for line in lines if not line.startswith(drop))) == [reported]


def test_a_wrong_default_or_requirement_in_format_md_is_reported():
    text = FORMAT_MD.read_text(encoding="utf-8")
    wrong_default = text.replace("| `min_gap_days` | days (≥ 0) | `5` |", "| `min_gap_days` | days (≥ 0) | `7` |")
    assert undocumented(wrong_default) == ["Policy.min_gap_days: default should read `5`, not '`7`'"]
    not_required = text.replace("| `reason` | text, required | | why |", "| `reason` | text | | why |")
    assert undocumented(not_required) == ["WriteOff.reason: 'required' is missing"]


# --- every reference points to a document users have ------------------------------------------

INTERNAL_DOCUMENTS = re.compile(r"SPEC\.md|SPEC §|LEGAL-FR\.md")


def internal_references() -> list[str]:
    """`path:line: text` of each line of src/, templates/, docs/ and README.md that points to a
    team-internal document (users have the repository, the package and `relancegit --help`)."""
    files = [REPO / "README.md"]
    for folder in ("src", "templates", "docs"):
        files += [p for p in sorted((REPO / folder).rglob("*")) if p.is_file() and p.suffix != ".pyc"]
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INTERNAL_DOCUMENTS.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def test_no_reference_to_internal_documents():
    assert internal_references() == []


def _referenced_documents() -> list[str]:
    files = [REPO / "README.md", *(REPO / "src").rglob("*.py"), *(REPO / "templates").rglob("*.j2")]
    return sorted({m for path in files for m in re.findall(r"\b(docs/[a-z-]+\.md)", path.read_text("utf-8"))})


@pytest.mark.parametrize("link", _referenced_documents())
def test_documents_pointed_to_exist(link: str):
    assert (REPO / link).is_file()


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", sorted(p.name for p in (REPO / "docs").glob("*.md")))
def test_links_between_docs_reach_their_heading(doc: str):
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([a-z-]+\.md)(?:#([a-z0-9_-]+))?\)", text):
        linked = (REPO / "docs" / target).read_text(encoding="utf-8")
        headings = {_slug(line.lstrip("#")) for line in linked.splitlines() if line.startswith("#")}
        assert not anchor or anchor in headings, f"{doc}: {target}#{anchor}"
