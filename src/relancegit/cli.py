"""The `relancegit` command: click declarations (options, arguments, help texts), each calling
one function of the command layer (`relancegit.commands`), where the work is done.

Layer: the edge. With the command layer, the only module importing click and the only one
reading the clock (`--today`, else RELANCEGIT_TODAY, else the current date in Europe/Paris:
`commands.common.parse_today`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from relancegit import __version__
from relancegit.commands import audit as audit_commands
from relancegit.commands import build as build_commands
from relancegit.commands import calendar, letters, reading
from relancegit.commands import importing as importing_commands
from relancegit.commands import init as init_commands
from relancegit.commands import matching as matching_commands
from relancegit.commands import record as record_commands
from relancegit.commands.build import ENV_REDACT_KEY
from relancegit.commands.common import ENV_TODAY, Options, parse_today, replayed
from relancegit.commands.options import EventTypesHelp, Group, format_option, output_option

F = TypeVar("F", bound=Callable[..., Any])
LETTER_FORMATS = ("md", "html", "pdf", "eml")
_WIDE_HELP = "Never drop nor fold columns, whatever the terminal's width (wide terminals, screenshots)."


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--ledger", metavar="PATH", help="Ledger folder (default: $RELANCEGIT_LEDGER, else ledger/ found upwards)."
)
@click.option(
    "--today",
    metavar="DATE",
    envvar=ENV_TODAY,
    help="Compute as of this date, YYYY-MM-DD (default: today in Europe/Paris).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people or programs.",
)
@click.version_option(__version__, prog_name="relancegit")
@click.pass_context
def main(ctx: click.Context, ledger: str | None, today: str | None, fmt: str) -> None:
    """relancegit: a plain-text, git-based collections ledger (recouvrement de créances)."""
    ctx.obj = Options(ledger=ledger, today=parse_today(today), format=fmt)


# --- check, schema, init -------------------------------------------------------------------


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@format_option
@click.pass_obj
@replayed
def check(obj: Options, strict: bool) -> None:
    """Validate the ledger: schema, references and legal lints, with file:line:col."""
    reading.check(obj, strict)


@main.command()
@output_option("Write one .schema.json file per kind into this folder.")
def schema(output: Path | None) -> None:
    """JSON Schemas of the three file kinds (for editors with a YAML language server)."""
    init_commands.schema(output)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Add the demo ledger (a fictional French SME).")
def init(directory: Path, demo: bool) -> None:
    """Scaffold a ledger repository in DIRECTORY."""
    init_commands.init(directory, demo)


# --- record, history, audit (git as the audit log) -----------------------------------------


@main.command(cls=EventTypesHelp)
@click.argument("case_id", metavar="CASE")
@click.argument("event_type", metavar="TYPE")
@click.argument("assignments", metavar="[KEY=VALUE]...", nargs=-1)
@click.option("--date", "event_date", metavar="DATE", help="The event's date, YYYY-MM-DD (default: --today).")
@click.option("--commit", is_flag=True, help="Commit just this file, with a summary and Relancegit-* trailers.")
@click.pass_obj
def record(
    obj: Options, case_id: str, event_type: str, assignments: tuple[str, ...], event_date: str | None, commit: bool
) -> None:
    """Append an event to CASE, keeping the file's comments and layout.

    The result is validated like `check` and written atomically; on any error the file is
    left as it was. Amounts like 750 or 750.00; dates YYYY-MM-DD; quote values with spaces:

    \b
      relancegit record 2026-0042 payment amount=750 ref="VIR 8812"
      relancegit record 2026-0042 plan installments=2026-12-15:500,2027-01-15:500 signed=true
      relancegit record 2026-0042 reminder step=reminder-1 channel=email --commit

    `by` defaults to git's user.name.
    """
    record_commands.record(obj, case_id, event_type, assignments, event_date, commit)


@main.command()
@click.argument("case_id", metavar="CASE")
@format_option
@click.pass_obj
def history(obj: Options, case_id: str) -> None:
    """What each commit changed in CASE (following renames): events, invoices, fields."""
    audit_commands.history(obj, case_id)


@main.command()
@click.option(
    "--since", metavar="REV", help="Only the commits after REV, an ancestor of HEAD (e.g. the last audited tag)."
)
@click.option(
    "--published",
    metavar="[FILE]",
    is_flag=False,
    flag_value="",
    default=None,
    help="Fail if HEAD does not descend from the head recorded in FILE; after a clean audit, "
    "record HEAD there (default FILE: site/audit-head.json beside the ledger folder).",
)
@click.option(
    "--accept",
    "accept_commit",
    metavar="COMMIT",
    help="Accept COMMIT's violations after review: append it, with --reason, to ledger/audit-accepted.yaml.",
)
@click.option("--reason", metavar="TEXT", help="Why the violation of --accept is accepted (kept in the file).")
@click.option("--staged", is_flag=True, help="Audit what is staged for the next commit (the pre-commit hook).")
@format_option
@click.pass_obj
def audit(
    obj: Options,
    since: str | None,
    published: str | None,
    accept_commit: str | None,
    reason: str | None,
    staged: bool,
) -> None:
    """Verify the git history of the cases is append-only (exit 1 on a violation).

    Reports every commit that deleted or modified a committed event, changed an invoice's
    number, amount or due date, or deleted a case, on every branch, and every merge that
    dropped or changed what one of its parents committed; warns about events recorded more
    than 30 days after their date. Corrections are made by appending (a credit-note, a new
    event with a note), never by editing what was committed.

    A shallow or incomplete clone is refused: fetch the whole history first. With
    --published, a history rewritten and force-pushed since the last published audit fails.
    """
    audit_commands.audit(obj, since, published, accept_commit, reason, staged)


# --- show, list, next, report, rates, calendar (the engine as of --today) --------------------


@main.command()
@click.argument("case_id", metavar="CASE")
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@format_option
@click.pass_obj
@replayed
def show(obj: Options, case_id: str, wide: bool) -> None:
    """One case in full: invoices, balances, penalties, timeline, next action, deadlines."""
    reading.show_case(obj, case_id, wide)


@main.command(name="list")
@click.option(
    "--status",
    metavar="STATUS",
    help="Only cases with this status, as shown (en litige, litige) or in JSON (disputed).",
)
@click.option("--client", metavar="CLIENT", help="Only this client's cases (client id or exact name).")
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@format_option
@click.pass_obj
@replayed
def list_cases(obj: Options, status: str | None, client: str | None, wide: bool) -> None:
    """One line per case: client, balance, days overdue, status, next action."""
    reading.list_cases(obj, status, client, wide)


@main.command(name="next")
@click.option(
    "--within",
    "within",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="DAYS",
    help="Also the actions due in the next DAYS days.",
)
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@format_option
@click.pass_obj
@replayed
def next_actions(obj: Options, within: int, wide: bool) -> None:
    """The agenda: actions due up to today + DAYS, by date then balance."""
    reading.next_actions(obj, within, wide)


@main.command()
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@format_option
@click.pass_obj
@replayed
def report(obj: Options, wide: bool) -> None:
    """Portfolio figures: aging, outstanding, overdue, DSO, recovery rate, what works."""
    reading.report(obj, wide)


@main.command()
@format_option
@click.pass_obj
@replayed
def rates(obj: Options) -> None:
    """Half-year rates known (packaged and relancegit.yaml `rates:`), those the ledger lacks
    up to --today, and the YAML lines to add (exit 0: it is a report; `check` warns too)."""
    reading.rates(obj)


@main.command(name="calendar")
@output_option("Write the .ics file here instead of standard output.", file_okay=True, dir_okay=False)
@click.pass_obj
def calendar_command(obj: Options, output: Path | None) -> None:
    """iCalendar file of upcoming actions and deadlines (subscribe to it in a calendar app)."""
    calendar.calendar(obj, output)


# --- build (the static dashboard) -----------------------------------------------------------


@main.command()
@output_option("Output folder (default: site/ beside the ledger folder).")
@click.option(
    "--redact",
    is_flag=True,
    help=f"Replace debtor names, contacts, addresses and notes with stable pseudonyms (key: ${ENV_REDACT_KEY}).",
)
@click.pass_obj
def build(obj: Options, output: Path | None, redact: bool) -> None:
    """The static dashboard: index.html, cases/, clients/, analytics.html, data.json."""
    build_commands.build(obj, output, redact)


# --- letter, send (letters and e-mail) --------------------------------------------------------


@main.command()
@click.argument("case_id", metavar="[CASE]", required=False)
@click.option(
    "--client",
    "client_id",
    metavar="CLIENT",
    help="One consolidated letter for all of this client's cases due for action.",
)
@click.option(
    "--step",
    metavar="STEP",
    help="Render this step instead of the next action's (a policy step, or promise-confirmation, "
    "plan-agreement, handover, promise-broken).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(LETTER_FORMATS),
    default="md",
    show_default=True,
    help="Markdown, standalone HTML, PDF (A4) or e-mail (.eml).",
)
@output_option("Write DIR/{case}-{step}.{format} instead of standard output.")
@click.option(
    "--record",
    "record_it",
    is_flag=True,
    help="Once posted: keep the exact document written to -o under ledger/sent/CASE/ and record the "
    "step's reminder event pointing to it (channel from the policy step).",
)
@click.option("--commit", is_flag=True, help="With --record: commit the case file and the kept copy.")
@click.pass_obj
def letter(
    obj: Options,
    case_id: str | None,
    client_id: str | None,
    step: str | None,
    fmt: str,
    output: Path | None,
    record_it: bool,
    commit: bool,
) -> None:
    """Render the letter of CASE's next action (or --step), in the client's language and tone.

    \b
      relancegit letter 2026-0220                       # Markdown on standard output
      relancegit letter 2026-0220 --format pdf -o out/  # out/2026-0220-formal-notice.pdf
      relancegit letter --client acme-industrie         # one letter for all due cases
      relancegit letter 2026-0208 --step escalate -o out/   # also out/2026-0208-escalate/ (dossier)
      relancegit letter 2026-0220 --format pdf -o out/ --record --commit   # posted: keep it, record it
    """
    letters.letter(obj, case_id, client_id, step, fmt, output, record_it, commit)


@main.command()
@click.argument("case_ids", metavar="[CASE]...", nargs=-1)
@click.option("--due", is_flag=True, help="Every due e-mail step marked auto in the policy.")
@click.option("--dry-run", is_flag=True, help="Write the messages to an outbox folder; send and record nothing.")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Outbox folder for --dry-run (default: .relancegit/outbox beside ledger/).",
)
@click.option("--commit", is_flag=True, help="Commit each recorded reminder (like record --commit).")
@click.pass_obj
def send(obj: Options, case_ids: tuple[str, ...], due: bool, dry_run: bool, outbox: Path | None, commit: bool) -> None:
    """E-mail the due automatic reminders through SMTP and record them, never twice.

    SMTP settings come from relancegit.yaml (smtp:, with timeout and data_timeout in
    seconds), the password from the environment variable RELANCEGIT_SMTP_PASSWORD. Each step
    of a case is sent at most once: a journal in .relancegit/sent/ beside ledger/ remembers
    what was sent, and a run interrupted between sending and recording records the event on
    the next run instead of sending again. A reminder that could not be recorded is not sent.
    """
    letters.send(obj, case_ids, due, dry_run, outbox, commit)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


@main.command(name="import")
@click.argument("files", metavar="FILE...", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source_format",
    type=click.Choice(importing_commands.FORMATS),
    help="Input format (default: from the content).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be created; write nothing.")
@click.option(
    "--commit", is_flag=True, help="One commit of the new files, its trailer naming each source and its SHA-256."
)
@click.option(
    "--skip-errors", is_flag=True, help="Write the good invoices, list the bad ones (default: nothing on any error)."
)
@click.option("--guess", is_flag=True, help="Print a proposed import.csv.columns mapping from a CSV's header.")
@format_option
@click.pass_obj
def import_invoices(obj: Options, /, files: tuple[Path, ...], source_format: str | None, **flags: bool) -> None:
    """Open invoices from a CSV export, the FEC, or e-invoices (Factur-X, UBL, CII) into
    clients and cases (docs/import.md).

    Invoices already in the ledger are skipped (another amount is a conflict, never
    overwritten); every bad row is reported at file:line:col and, unless --skip-errors,
    nothing is written.
    """
    importing_commands.import_invoices(obj, files, source_format, **flags)


@main.command()
@click.argument("files", metavar="STATEMENT...", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["camt053", "ofx", "csv"]),
    help="Input format (default: from the content).",
)
@click.option("--apply", is_flag=True, help="Record the payments of the confident matches (reference, amount+name).")
@click.option(
    "--commit", is_flag=True, help="With --apply: one commit, its trailer naming each statement and its SHA-256."
)
@format_option
@click.pass_obj
def match(obj: Options, /, files: tuple[Path, ...], source_format: str | None, apply: bool, commit: bool) -> None:
    """Match bank credits (camt.053, OFX, CSV) to open invoices (docs/match.md).

    Each entry gets a confidence class and a reason; entries already recorded (by their
    bank reference) are skipped; a reversal voids the payment it reverses.
    """
    matching_commands.match(obj, files, source_format, apply, commit)


def run() -> NoReturn:
    """The `relancegit` program (the console script): `main`, then the process ends without
    freeing its objects one by one (tens of thousands after a large ledger: a few hundredths
    of a second). Exit handlers still run and the output is flushed first; the exit code and
    a `sys.exit` message are Python's own."""
    try:
        main()
        code: int = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)  # noqa: T201 (as Python prints it)
            code = 1
    except OSError as exc:  # the output cannot be written (a full disk): said, not a traceback
        _say(f"relancegit: error: cannot write the output: {exc.strerror or exc}")
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # `| head`: nobody reads any more
            pass
        except ValueError:  # closed
            pass
        except OSError as exc:  # a full disk: not lost silently (Python's own code for it)
            _say(f"relancegit: error: cannot write the output: {exc.strerror or exc}")
            code = code or 120
    os._exit(code)


def _say(message: str) -> None:
    """A last message on the standard error, past its Python buffer."""
    with contextlib.suppress(OSError):
        os.write(2, f"{message}\n".encode())
