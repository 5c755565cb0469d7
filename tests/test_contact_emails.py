"""`check` refuses a contact e-mail address that `send` could not use, where it is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import positions

from relancegit.cli import main

CLIENT = """\
id: acme
name: ACME Industrie SAS
contacts:
  - name: Jeanne Perrot
    email: {email}
"""


def client(email: str) -> dict[str, str | None]:
    return {"clients/acme.yaml": CLIENT.format(email=email)}


def email_errors(result) -> list[tuple[str, int, int, str, str]]:
    return [p for p in positions(result) if "e-mail" in p[4]]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        (
            '"j.perrot@acme.example\\r\\nBcc: all@elsewhere.example"',
            "invalid e-mail address 'j.perrot@acme.example\\r\\nBcc: all@elsewhere.example': "
            "it contains a line break or a control character",
        ),
        (
            '"j.perrot@acme.example, all@elsewhere.example"',
            "invalid e-mail address 'j.perrot@acme.example, all@elsewhere.example': "
            "give one address per contact (a comma or semicolon separates several)",
        ),
        (
            '"Jeanne <j.perrot@acme.example>"',
            "invalid e-mail address 'Jeanne <j.perrot@acme.example>': "
            "give the bare address (user@domain), without spaces, a name or brackets",
        ),
        ("j.perrot.acme.example", "invalid e-mail address 'j.perrot.acme.example': expected one user@domain"),
        ("j@acme..example", "invalid e-mail address 'j@acme..example': the domain 'acme..example' is not valid"),
    ],
)
def test_a_contact_email_send_cannot_use_is_an_error_at_its_value(load, email: str, message: str) -> None:
    assert email_errors(load(client(email))) == [("acme.yaml", 5, 12, "error", message)]


def test_a_plain_address_passes(load) -> None:
    assert email_errors(load(client("jeanne.perrot+compta@acme-industrie.example"))) == []


def test_check_reports_it_with_file_line_column(make_ledger) -> None:
    root = make_ledger(client('"j.perrot@acme.example\\nBcc: all@elsewhere.example"'))
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "check"])
    assert result.exit_code == 1
    assert (
        f"{root / 'clients' / 'acme.yaml'}:5:12: error: invalid e-mail address "
        "'j.perrot@acme.example\\nBcc: all@elsewhere.example': it contains a line break or a control character"
    ) in result.output
