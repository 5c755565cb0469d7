"""The JSON Schemas: generated from the model, committed for editors, and valid for the demo."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import DEMO, REPO

from relancegit.scaffold import json_schemas

SCHEMAS = json_schemas()


def as_json(path: Path) -> object:
    """What a YAML language server sees: dates and numbers as YAML gives them, dates as strings."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = SCHEMAS[name]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_committed_schemas_are_up_to_date():
    for name, schema in SCHEMAS.items():
        committed = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
        assert committed == schema, f"schemas/{name} is stale: run 'relancegit schema -o schemas'"


def demo_files() -> list[tuple[str, Path]]:
    files = [("config.schema.json", DEMO / "relancegit.yaml")]
    files += [("client.schema.json", p) for p in sorted((DEMO / "clients").glob("*.yaml"))]
    files += [("case.schema.json", p) for p in sorted((DEMO / "cases").rglob("*.yaml"))]
    return files


@pytest.mark.parametrize(("schema", "path"), demo_files(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_demo_files_validate(schema: str, path: Path):
    errors = sorted(validator(schema).iter_errors(as_json(path)), key=str)
    assert not errors, "\n".join(e.message for e in errors)


def test_demo_is_big_enough():
    kinds = [kind for kind, _ in demo_files()]
    assert kinds.count("client.schema.json") >= 12
    assert kinds.count("case.schema.json") >= 35


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda d: d.pop("client"), "'client' is a required property"),
        (lambda d: d.update(colour="red"), "Additional properties are not allowed ('colour' was unexpected)"),
        (lambda d: d["invoices"][0].update(amount=-3), "-3 is less than or equal to the minimum of 0"),
        (lambda d: d["invoices"][0].update(amount="7.505"), "'7.505' does not match"),
        (lambda d: d["events"].append({"date": "2026-10-20", "type": "paiement"}), "'paiement' is not one of ["),
        (lambda d: d["events"][0].update(channel="courrier"), "'courrier' is not one of ['email', 'sms'"),
        (lambda d: d["events"][0].update(received="2026-02-30"), "'2026-02-30' is not a 'date'"),
    ],
)
def test_schema_rejects_bad_cases(mutation, expected: str):
    data = {
        "id": "2026-0042",
        "client": "acme",
        "invoices": [{"number": "F1", "date": "2026-09-01", "due": "2026-10-01", "amount": 1500}],
        "events": [{"date": "2026-10-02", "type": "reminder", "step": "reminder-1"}],
    }
    assert not list(validator("case.schema.json").iter_errors(data))
    mutation(data)
    messages = [e.message for e in validator("case.schema.json").iter_errors(data)]
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(
    ("smtp", "expected"),
    [
        ({"host": "smtp.example", "timeout": 0}, "0 is less than or equal to the minimum of 0"),
        ({"host": "smtp.example", "data_timeout": 601}, "601 is greater than the maximum of 600"),
        ({"host": "smtp.example", "timeout": "10 s"}, "'10 s' is not of type 'number'"),
    ],
)
def test_schema_bounds_the_smtp_timeouts(smtp: dict[str, object], expected: str):
    data = {"creditor": {"name": "Atelier", "address": ["Lyon"]}, "smtp": {"host": "smtp.example"}}
    assert not list(validator("config.schema.json").iter_errors(data))
    data["smtp"] = {"host": "smtp.example", "timeout": 2.5, "data_timeout": 60}
    assert not list(validator("config.schema.json").iter_errors(data))
    data["smtp"] = smtp
    errors = list(validator("config.schema.json").iter_errors(data))
    messages = [e.message for error in errors for e in error.context or [error]]  # smtp: is anyOf null
    assert any(expected in m for m in messages), messages
