"""The `relancegit` command: parse options, call one core function, print its result.

Layer: the edge. The only module importing click and the only one reading the clock
(`--today`, else RELANCEGIT_TODAY, else the current date in Europe/Paris).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

import click

from relancegit import __version__
from relancegit.discover import find_ledger
from relancegit.limits import date_out_of_range
from relancegit.problems import RelancegitError, Severity, UsageError

if TYPE_CHECKING:  # the model and its loader are imported only by the commands that need them
    from relancegit.discover import Listing
    from relancegit.letters.render import Letter
    from relancegit.load import LoadResult
    from relancegit.model import Ledger

ENV_TODAY = "RELANCEGIT_TODAY"
PARIS = ZoneInfo("Europe/Paris")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Options:
    ledger: str | None
    today: date
    format: str

    _loaded: LoadResult | None = None
    # The ledger's files as listed for the cache key, for the command to read the same files.
    listing: Listing | None = None

    def load(self) -> LoadResult:
        from relancegit.load import load_ledger

        if self._loaded is None:
            self._loaded = load_ledger(find_ledger(self.ledger), self.today)
        return self._loaded


def _parse_today(value: str | None) -> date:
    if value is None:
        return datetime.now(PARIS).date()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint="--today") from None
    reason = date_out_of_range(day)
    if reason is not None:
        raise click.BadParameter(reason, param_hint="--today")
    return day


def _format_option(func: F) -> F:
    """`--format` on each reading command too, overriding the global one when given."""

    @wraps(func)
    def wrapper(*args: Any, fmt: str | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        if fmt:
            ctx.obj.format = fmt
        return ctx.invoke(func, *args, **kwargs)

    option = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default=None,
        help="Output for people (text) or programs (json).",
    )
    return option(wrapper)  # type: ignore[return-value]


class _Tee(io.TextIOBase):
    """Writes through to a stream while keeping a copy (to replay a command's output)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click writes bytes when given them
            text = text.decode(self.encoding, "replace")
        self.parts.append(text)
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


# What else decides how a reading command prints: terminal, width, colours.
_OUTPUT_ENV = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE")


def _memoized(func: F) -> F:
    """Replay a reading command's output when nothing it depends on changed.

    The key holds relancegit's own code, every ledger file's stamp, the command and its
    options, today, the output format and the terminal. Files changed within the racy window
    also have their contents digest stored and checked on reuse. Anything else runs the
    command and stores what it printed and its exit code.
    """

    @wraps(func)
    def wrapper(obj: Options, *args: Any, **kwargs: Any) -> Any:
        from relancegit.discover import contents_digest, input_signature, ledger_file_names
        from relancegit.speed import cache

        if not cache.enabled():
            return func(obj, *args, **kwargs)
        ctx = click.get_current_context()
        root = find_ledger(obj.ledger)
        terminal = (sys.stdout.isatty(), sys.stderr.isatty(), shutil.get_terminal_size((0, 0)))
        obj.listing = ledger_file_names(root)
        key, racy = input_signature(
            root,
            ctx.info_name,
            sorted(kwargs.items()),
            args,
            obj.today,
            obj.format,
            terminal,
            [os.environ.get(name) for name in _OUTPUT_ENV],
            listing=obj.listing,
        )
        store = cache.LedgerCache(root)
        hit = store.get_result(str(ctx.info_name), key)
        if isinstance(hit, tuple) and len(hit) == 4:
            out, err, code, checked = hit
            if contents_digest(list(checked)) == checked:  # files racy when stored: same contents
                sys.stdout.write(out)
                sys.stderr.write(err)
                sys.exit(code)
        before = contents_digest(racy)
        out_tee, err_tee = _Tee(sys.stdout), _Tee(sys.stderr)
        code = 0
        with contextlib.redirect_stdout(out_tee), contextlib.redirect_stderr(err_tee):
            try:
                func(obj, *args, **kwargs)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if before is not None and contents_digest(racy) == before:  # unchanged while we ran
            store.put_result(str(ctx.info_name), key, ("".join(out_tee.parts), "".join(err_tee.parts), code, before))
        sys.exit(code)

    return wrapper  # type: ignore[return-value]


class Group(click.Group):
    """Turns fatal conditions into messages and exit codes, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RelancegitError as exc:
            click.echo(f"relancegit: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


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
    ctx.obj = Options(ledger=ledger, today=_parse_today(today), format=fmt)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _report_left_out(result: LoadResult) -> None:
    """Commands other than `check` work on the valid files and say what they left out."""
    if result.left_out:
        count = len(result.left_out)
        click.echo(
            f"relancegit: {count} file{'s' if count > 1 else ''} with errors left out; "
            "run 'relancegit check' for details",
            err=True,
        )


def _finish(result: LoadResult) -> None:
    if result.left_out:
        sys.exit(1)


def _loaded(obj: Options) -> LoadResult:
    """The ledger's valid files, saying on stderr how many were left out."""
    result = obj.load()
    _report_left_out(result)
    return result


def _show(obj: Options, result: LoadResult, as_json: Callable[[], Any], as_text: Callable[[], Any]) -> None:
    """Print a view in the chosen format, then exit 1 if files were left out."""
    if obj.format == "json":
        _print_json(as_json())
    else:
        _print_text(as_text())
    _finish(result)


# --- check, schema, init -------------------------------------------------------------------


@contextlib.contextmanager
def _output_errors(path: Path) -> Iterator[None]:
    """An output path that cannot be written (no such folder, read-only, /proc): one line, exit 1."""
    try:
        yield
    except OSError as exc:
        raise RelancegitError(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from None


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@_format_option
@click.pass_obj
@_memoized
def check(obj: Options, strict: bool) -> None:
    """Validate the ledger: schema, references and legal lints, with file:line:col."""
    from relancegit.checking import check_ledger

    result = check_ledger(find_ledger(obj.ledger), obj.today, listing=obj.listing)
    problems = [p.as_error() if strict else p for p in result.problems]
    errors = [p for p in problems if p.severity == Severity.ERROR]
    warnings = [p for p in problems if p.severity == Severity.WARNING]
    if obj.format == "json":
        _print_json(
            {
                "ok": not errors,
                "errors": [p.to_json() for p in errors],
                "warnings": [p.to_json() for p in warnings],
                "counts": result.counts,
            }
        )
    else:
        for problem in problems:
            click.echo(problem.format(), err=True)
        counts = result.counts
        summary = f"{counts['cases']} cases, {counts['clients']} clients, {counts['events']} events"
        if errors:
            click.echo(f"{len(errors)} error(s), {len(warnings)} warning(s) in {summary}", err=True)
        else:
            suffix = f", {len(warnings)} warning(s)" if warnings else ""
            click.echo(f"ok: {summary}{suffix}")
    sys.exit(1 if errors else 0)


@main.command()
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write one .schema.json file per kind into this folder.",
)
def schema(output: Path | None) -> None:
    """JSON Schemas of the three file kinds (for editors with a YAML language server)."""
    from relancegit.scaffold import json_schemas, write_schemas

    if output is None:
        _print_json(json_schemas())
        return
    with _output_errors(output):
        written = write_schemas(output)
    for path in written:
        click.echo(str(path))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Add the demo ledger (a fictional French SME).")
def init(directory: Path, demo: bool) -> None:
    """Scaffold a ledger repository in DIRECTORY."""
    from relancegit.scaffold import init_repository, install_hook

    with _output_errors(directory):
        written = init_repository(directory, demo=demo)
    click.echo(f"initialised {directory} ({len(written)} files)")
    click.echo(install_hook(directory))
    click.echo(f"next: cd {directory} && relancegit check; README.md there says what to set up once")


# --- record, history, audit (git as the audit log) -----------------------------------------


def _event_types_help() -> str:
    from relancegit.model import EVENT_TYPES, EventBase

    def keys(model: type[EventBase]) -> str:
        own = [k for k in model.model_fields if k not in EventBase.model_fields and k != "type"]
        return " ".join(f"{k}=" for k in [*own, "note", "by"])

    rows = [f"  {name:<17}{keys(model)}" for name, model in EVENT_TYPES.items()]
    return "\b\nEvent types and their keys:\n" + "\n".join(rows)


class _EventTypesHelp(click.Command):
    """Builds the event-type list only when help is shown (it needs the model)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.epilog = _event_types_help()
        super().format_epilog(ctx, formatter)


@main.command(cls=_EventTypesHelp)
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
    from relancegit.handles import resolve_case_handle
    from relancegit.record import RecordRefused
    from relancegit.record import record as record_event

    when = _parse_date_option(event_date, "--date")
    root = find_ledger(obj.ledger)
    case_id = resolve_case_handle(root, case_id, obj.today)  # an invoice number names its case
    try:
        done = record_event(
            root,
            case_id,
            event_type,
            assignments,
            obj.today,
            commit=commit,
            event_date=when,
        )
    except RecordRefused as exc:
        for problem in exc.problems:
            click.echo(problem.format(), err=True)
        raise
    for problem in done.warnings:
        click.echo(problem.format(), err=True)
    shown = done.path.resolve()
    if shown.is_relative_to(Path.cwd().resolve()):
        shown = shown.relative_to(Path.cwd().resolve())
    click.echo(f"recorded {done.event['type']} in {shown}:{done.line}")
    if done.commit:
        click.echo(f"committed {done.commit}")


def _parse_date_option(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint=name) from None


@main.command()
@click.argument("case_id", metavar="CASE")
@_format_option
@click.pass_obj
def history(obj: Options, case_id: str) -> None:
    """What each commit changed in CASE (following renames): events, invoices, fields."""
    from relancegit.handles import resolve_case_handle
    from relancegit.history import case_history, format_history

    root = find_ledger(obj.ledger)
    entries = case_history(root, resolve_case_handle(root, case_id, obj.today))
    if obj.format == "json":
        _print_json([entry.to_json() for entry in entries])
    else:
        click.echo(format_history(entries))


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
@_format_option
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
    from relancegit.audit import BadPublishedFile, count_commits, default_published, format_report, record_published
    from relancegit.audit import audit as audit_history

    root = find_ledger(obj.ledger)
    if accept_commit is not None or reason is not None:
        _accept(obj, root, accept_commit, reason)
        return
    if staged:
        _audit_staged(obj, root)
        return
    head_file = (Path(published) if published else default_published(root)) if published is not None else None
    try:
        if sys.stderr.isatty() and obj.format == "text":
            with click.progressbar(length=count_commits(root, since), label="auditing", file=sys.stderr) as bar:
                report = audit_history(root, since, progress=lambda _: bar.update(1), published=head_file)
        else:
            report = audit_history(root, since, published=head_file)
    except BadPublishedFile as exc:
        click.echo(exc.problem.format(), err=True)
        sys.exit(1)
    if obj.format == "json":
        _print_json(report.to_json())
    else:
        click.echo(format_report(report))
    if report.ok and head_file is not None and report.head:
        record_published(head_file, report.head, obj.today)
    sys.exit(0 if report.ok else 1)


def _accept(obj: Options, root: Path, commit: str | None, reason: str | None) -> None:
    from relancegit import gitlog
    from relancegit.accepted import accept
    from relancegit.audit import audit as audit_history
    from relancegit.record import git_user

    if not commit or reason is None:
        raise UsageError("--accept COMMIT and --reason TEXT go together")
    repo = gitlog.repository_root(root)
    full = gitlog.commit_id(repo, commit)
    if full is None:
        raise UsageError(f"--accept: unknown commit '{commit}'")
    report = audit_history(root)
    from relancegit.lock import ledger_write_lock

    with ledger_write_lock(root):  # one writer of the ledger's files at a time
        path = accept(root, full, reason, obj.today, git_user(root) or "?", [v.commit.sha for v in report.violations])
    count = sum(v.commit.sha == full for v in report.violations)
    click.echo(f"accepted {count} violation(s) of {full[:8]} in {path}")
    click.echo(f"commit it: git add {path} && git commit -m 'audit: accept {full[:8]}'")


def _audit_staged(obj: Options, root: Path) -> None:
    from relancegit.audit import RECOVERY, audit_staged
    from relancegit.record import git_user

    report = audit_staged(root, obj.today, git_user(root) or "")
    for finding in report.violations:
        click.echo(f"relancegit: error: {finding.file}: {finding.message}", err=True)
    if report.violations:
        click.echo(
            "relancegit: commit refused: committed events are never edited, nor invoices' numbers, "
            f"amounts and due dates. {RECOVERY}",
            err=True,
        )
        sys.exit(1)


# --- show, list, next, report, calendar (the engine as of --today) -----------------------


def _case_state(result: LoadResult, today: date, case_id: str) -> Any:
    from relancegit.engine.state import compute_case
    from relancegit.handles import case_id_for, unknown_case

    ledger = result.ledger
    found = case_id_for(ledger, case_id)
    if found is None:
        if any(path.stem == case_id for path in result.left_out):
            raise RelancegitError(f"case '{case_id}' has errors and was left out; run 'relancegit check'")
        raise unknown_case(ledger, case_id)
    return compute_case(ledger, ledger.cases[found], today)


def _print_text(renderable: Any) -> None:
    from relancegit.tables import console

    console().print(renderable, crop=False)  # a row wider than the terminal wraps, never cut


_WIDE_HELP = "Never drop nor fold columns, whatever the terminal's width (wide terminals, screenshots)."


@main.command()
@click.argument("case_id", metavar="CASE")
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@_format_option
@click.pass_obj
@_memoized
def show(obj: Options, case_id: str, wide: bool) -> None:
    """One case in full: invoices, balances, penalties, timeline, next action, deadlines."""
    from relancegit import tables, views

    result = _loaded(obj)
    state = _case_state(result, obj.today, case_id)
    _show(obj, result, lambda: views.case_json(state), lambda: tables.show_text(state, wide=wide))


@main.command(name="list")
@click.option(
    "--status",
    metavar="STATUS",
    help="Only cases with this status, as shown (en litige, litige) or in JSON (disputed).",
)
@click.option("--client", metavar="CLIENT", help="Only this client's cases (client id or exact name).")
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@_format_option
@click.pass_obj
@_memoized
def list_cases(obj: Options, status: str | None, client: str | None, wide: bool) -> None:
    """One line per case: client, balance, days overdue, status, next action."""
    from relancegit import tables, views
    from relancegit.engine.state import compute_all, select

    wanted = None
    if status is not None:
        found = views.status_of(status)
        if found is None:
            raise click.BadParameter(views.unknown_status(status), param_hint="--status")
        wanted = found.value
    result = _loaded(obj)
    if client is not None:
        names = {cid: c.name for cid, c in result.ledger.clients.items()}
        names.update({case.client: case.client for case in result.ledger.cases.values() if case.client not in names})
        matched = views.client_of(client, names)
        if matched is None:
            raise click.BadParameter(views.unknown_client(client, names), param_hint="--client")
        client = matched
    states = select(compute_all(result.ledger, obj.today), status=wanted, client=client)
    _show(obj, result, lambda: views.list_json(states), lambda: tables.list_text(states, wide=wide))


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
@_format_option
@click.pass_obj
@_memoized
def next_actions(obj: Options, within: int, wide: bool) -> None:
    """The agenda: actions due up to today + DAYS, by date then balance."""
    from relancegit import tables, views
    from relancegit.engine.state import agenda, compute_all

    result = _loaded(obj)
    states = compute_all(result.ledger, obj.today)
    due = agenda(states, obj.today, within)
    _show(obj, result, lambda: views.next_json(due), lambda: tables.next_text(due, obj.today, states, wide=wide))


@main.command()
@click.option("--wide", is_flag=True, help=_WIDE_HELP)
@_format_option
@click.pass_obj
@_memoized
def report(obj: Options, wide: bool) -> None:
    """Portfolio figures: aging, outstanding, overdue, DSO, recovery rate, what works."""
    from relancegit import tables, views
    from relancegit.engine.portfolio import portfolio
    from relancegit.engine.state import compute_all

    result = _loaded(obj)
    figures = portfolio(compute_all(result.ledger, obj.today), obj.today)
    names = {cid: client.name for cid, client in result.ledger.clients.items()}
    _show(obj, result, lambda: views.report_json(figures), lambda: tables.report_text(figures, names, wide=wide))


@main.command()
@_format_option
@click.pass_obj
@_memoized
def rates(obj: Options) -> None:
    """Half-year rates known (packaged and relancegit.yaml `rates:`), those the ledger lacks
    up to --today, and the YAML lines to add (exit 0: it is a report; `check` warns too)."""
    from relancegit.engine.state import compute_all
    from relancegit.rates_report import rates_report, report_json, report_text

    result = _loaded(obj)
    ledger = result.ledger
    if any(path.name == "relancegit.yaml" for path in result.left_out):
        # Its `rates:` and `penalties:` are what this reports on: nothing to say without them.
        raise RelancegitError("relancegit.yaml has errors; run 'relancegit check'")
    found = rates_report(ledger.config, compute_all(ledger, obj.today), obj.today)
    if obj.format == "json":
        _print_json(report_json(found))
    else:
        config_path = (ledger.root / "relancegit.yaml").resolve()
        if config_path.is_relative_to(Path.cwd().resolve()):
            config_path = config_path.relative_to(Path.cwd().resolve())
        click.echo(report_text(found, str(config_path)))
    _finish(result)


@main.command(name="calendar")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the .ics file here instead of standard output.",
)
@click.pass_obj
def calendar_command(obj: Options, output: Path | None) -> None:
    """iCalendar file of upcoming actions and deadlines (subscribe to it in a calendar app)."""
    from relancegit.engine.state import compute_all
    from relancegit.ical import calendar_ics, write_calendar

    result = _loaded(obj)
    data = calendar_ics(compute_all(result.ledger, obj.today), obj.today)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        write_calendar(output, data)
        click.echo(f"wrote {output}", err=True)
    _finish(result)


# --- build (the static dashboard) -----------------------------------------------------------


class _LazyProgress:
    """A rich progress bar that starts at its first update. Its refresh thread must not exist
    when `build` forks its render workers (a fork copies locks that thread may hold), and
    `build` forks before it reports any progress."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, completed: int, total: int) -> None:
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total)
        self.bar.update(self.task, completed=completed, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


ENV_REDACT_KEY = "RELANCEGIT_REDACT_KEY"
PROGRESS_MIN_PAGES = 200  # smaller sites build in a blink: no bar


@main.command()
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: site/ beside the ledger folder).",
)
@click.option(
    "--redact",
    is_flag=True,
    help=f"Replace debtor names, contacts, addresses and notes with stable pseudonyms (key: ${ENV_REDACT_KEY}).",
)
@click.pass_obj
def build(obj: Options, output: Path | None, redact: bool) -> None:
    """The static dashboard: index.html, cases/, clients/, analytics.html, data.json."""
    from relancegit.dashboard import build as build_site

    result = _loaded(obj)
    ledger = result.ledger
    out_dir = output if output is not None else ledger.root.resolve().parent / "site"
    key = os.environ.get(ENV_REDACT_KEY) or None
    if redact and key is None:
        key = _local_redact_key(ledger.root)
    if sys.stderr.isatty() and len(ledger.cases) + len(ledger.clients) >= PROGRESS_MIN_PAGES:
        bar = _LazyProgress("building the dashboard")
        try:
            done = build_site(ledger, obj.today, out_dir, redact=redact, redact_key=key, progress=bar)
        finally:
            bar.close()
    else:
        done = build_site(ledger, obj.today, out_dir, redact=redact, redact_key=key)
    click.echo(
        f"built {out_dir}: {len(ledger.cases)} cases, {len(ledger.clients)} clients; "
        f"{len(done.written)} file(s) written, {done.unchanged} unchanged"
        + (f", {len(done.removed)} removed" if done.removed else "")
        + (" (redacted)" if redact else ""),
        err=True,
    )
    if done.letters_skipped:
        click.echo(
            f"relancegit: {done.letters_skipped} letter(s) could not be rendered (try 'relancegit letter CASE')",
            err=True,
        )
    _finish(result)


def _local_redact_key(ledger_root: Path) -> str:
    """The key of `build --redact` without $RELANCEGIT_REDACT_KEY, with a warning saying so."""
    from relancegit.dashboard.redact import local_key

    key, stored = local_key(ledger_root)
    where = f"the random key in {stored}" if stored else "a random key for this build only"
    click.echo(
        f"relancegit: warning: {ENV_REDACT_KEY} is not set: pseudonyms use {where}; in CI, set "
        f"{ENV_REDACT_KEY} to a secret so that they stay the same from one build to the next",
        err=True,
    )
    return key


# --- letter, send (letters and e-mail) --------------------------------------------------------

LETTER_FORMATS = ("md", "html", "pdf", "eml")


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
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/{case}-{step}.{format} instead of standard output.",
)
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
    from relancegit import letters

    if bool(case_id) == bool(client_id):
        raise UsageError("give a CASE or --client CLIENT (one of the two)")
    if commit and not record_it:
        raise UsageError("--commit goes with --record")
    if record_it and (client_id or output is None):
        raise UsageError("--record keeps the letter of one CASE written with -o DIR (not --client)")
    result = _loaded(obj)
    ledger = result.ledger
    if case_id:
        from relancegit.handles import case_id_for, unknown_case

        found = case_id_for(ledger, case_id)
        if found is None:
            if any(path.stem == case_id for path in result.left_out):
                raise RelancegitError(f"case '{case_id}' has errors and was left out; run 'relancegit check'")
            raise unknown_case(ledger, case_id)
        built = letters.letter_for_case(ledger, found, obj.today, step)
    else:
        assert client_id is not None
        if client_id not in ledger.clients and any(path.stem == client_id for path in result.left_out):
            raise RelancegitError(f"client '{client_id}' has errors and was left out; run 'relancegit check'")
        built = letters.letter_for_client(ledger, client_id, obj.today, step)
    if record_it and output is not None:
        _record_letter(obj, ledger, built, fmt, output, commit)
    elif output is not None:
        click.echo(str(letters.write_output(output, built, fmt)))
    if output is not None:
        if letters.is_handover(built) and not built.context.consolidated:
            from relancegit.letters.handover import write_dossier

            for path in write_dossier(ledger, built, obj.today, output, fmt):
                click.echo(str(path))
    else:
        if fmt == "pdf" and sys.stdout.isatty():
            raise UsageError("a PDF is binary: give -o DIR, or redirect standard output to a file")
        data = letters.render(built, fmt)
        sys.stdout.flush()
        sys.stdout.buffer.write(data)  # the binary layer under standard output
        sys.stdout.buffer.flush()
    if not record_it:  # recorded: _record_letter said so
        click.echo(letters.letter_status(ledger, built, obj.today), err=True)
    _finish(result)


def _record_letter(obj: Options, ledger: Ledger, built: Letter, fmt: str, output: Path, commit: bool) -> None:
    """`letter --record`: the bytes written to -o are the bytes kept under ledger/sent/, and
    the event recorded is the rendered step's, refused when it is not a policy step or is
    already recorded."""
    from relancegit import letters
    from relancegit.record import Document, RecordRefused
    from relancegit.record import record as record_event

    case_id = str(built.context.cases[0])
    step = str(built.context.step)
    case = ledger.cases[case_id]
    policy_step = ledger.policy_for(case).step(step)
    if policy_step is None:
        raise UsageError(f"'{step}' is not a step of the case's policy: render it without --record")
    done = [e.date for e in case.events if getattr(e, "type", "") == "reminder" and getattr(e, "step", "") == step]
    if done:
        raise RelancegitError(
            f"{case_id}: {step} is already recorded (on {max(done).isoformat()}); nothing written or recorded"
        )
    data = letters.render(built, fmt)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RelancegitError(f"cannot create the folder {output}: {exc.strerror or exc}") from None
    written = letters.write_file(letters.output_path(output, built.name, fmt), data)
    try:
        recorded = record_event(
            ledger.root,
            case_id,
            "reminder",
            [f"step={step}", f"channel={policy_step.channel.value}"],
            obj.today,
            commit=commit,
            document=Document(data, fmt),
        )
    except RecordRefused as exc:
        for problem in exc.problems:
            click.echo(problem.format(), err=True)
        raise
    click.echo(str(written))
    for problem in recorded.warnings:
        click.echo(problem.format(), err=True)
    click.echo(
        f"recorded {step} in {recorded.path}:{recorded.line}, kept as {recorded.event.get('document')}", err=True
    )
    if recorded.commit:
        click.echo(f"committed {recorded.commit}", err=True)


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
    from relancegit.mail import ENV_PASSWORD, Result
    from relancegit.mail import send as send_mail

    result = _loaded(obj)
    now = datetime.now(PARIS)
    outcomes = send_mail(
        result.ledger,
        obj.today,
        case_ids=case_ids,
        due=due,
        dry_run=dry_run,
        outbox=outbox,
        commit=commit,
        password=os.environ.get(ENV_PASSWORD),
        sent_at=now if now.date() == obj.today else None,
    )
    for outcome in outcomes:
        where = f" -> {outcome.path}" if outcome.path else ""
        line = f"{outcome.result.value:<9} {outcome.case} {outcome.step}: {outcome.detail}{where}"
        click.echo(line, err=outcome.result == Result.FAILED)
    if not outcomes:
        click.echo("nothing to send", err=True)
    if any(not o.ok for o in outcomes):
        sys.exit(1)
    _finish(result)


@main.command(name="import")
@click.argument("files", metavar="FILE...", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["csv", "fec", "facturx", "ubl", "cii"]),
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
@_format_option
@click.pass_obj
def import_invoices(
    obj: Options,
    files: tuple[Path, ...],
    source_format: str | None,
    dry_run: bool,
    commit: bool,
    skip_errors: bool,
    guess: bool,
) -> None:
    """Open invoices from a CSV export, the FEC, or e-invoices (Factur-X, UBL, CII) into
    clients and cases (docs/import.md).

    Invoices already in the ledger are skipped (another amount is a conflict, never
    overwritten); every bad row is reported at file:line:col and, unless --skip-errors,
    nothing is written.
    """
    from relancegit import importing

    root = find_ledger(obj.ledger)
    outcome = importing.run(
        root, files, obj.today, source_format, dry_run=dry_run, commit=commit, skip_errors=skip_errors, guess=guess
    )
    for problem in outcome.problems:
        click.echo(problem.format(), err=True)
    if obj.format == "json":
        _print_json(outcome.to_json(root))
    else:
        for line in outcome.text(root):
            click.echo(line)
    if not outcome.ok:
        sys.exit(1)


def run() -> None:  # pragma: no cover - console entry point alias
    main(prog_name="relancegit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["Options", "UsageError", "main", "os"]
