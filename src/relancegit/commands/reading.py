"""`check`, `show`, `list`, `next`, `report`, `rates`: the ledger read, checked or computed as
of --today, printed as text or JSON.

Layer: the command layer (see `commands/__init__.py`).
"""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from relancegit.commands.common import Options, finish, loaded, print_json, show, shown_path
from relancegit.problems import RelancegitError, Severity
from relancegit.read.discover import find_ledger

if TYPE_CHECKING:
    from relancegit.read.load import LoadResult


def check(obj: Options, strict: bool) -> None:
    from relancegit.read.mapreduce import check_ledger

    result = check_ledger(find_ledger(obj.ledger), obj.today, listing=obj.listing)
    problems = [p.as_error() if strict else p for p in result.problems]
    errors = [p for p in problems if p.severity == Severity.ERROR]
    warnings = [p for p in problems if p.severity == Severity.WARNING]
    if obj.format == "json":
        print_json(
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


def case_state(result: LoadResult, today: date, case_id: str) -> Any:
    from relancegit.engine.state import compute_case
    from relancegit.read.handles import case_id_for, unknown_case

    ledger = result.ledger
    found = case_id_for(ledger, case_id)
    if found is None:
        if any(path.stem == case_id for path in result.left_out):
            raise RelancegitError(f"case '{case_id}' has errors and was left out; run 'relancegit check'")
        raise unknown_case(ledger, case_id)
    return compute_case(ledger, ledger.cases[found], today)


def show_case(obj: Options, case_id: str, wide: bool) -> None:
    from relancegit.render import tables, views

    result = loaded(obj)
    state = case_state(result, obj.today, case_id)
    show(obj, result, lambda: views.case_json(state), lambda: tables.show_text(state, wide=wide))


def list_cases(obj: Options, status: str | None, client: str | None, wide: bool) -> None:
    from relancegit.engine.state import compute_all, select
    from relancegit.render import tables, views

    wanted = None
    if status is not None:
        found = views.status_of(status)
        if found is None:
            raise click.BadParameter(views.unknown_status(status), param_hint="--status")
        wanted = found.value
    result = loaded(obj)
    if client is not None:
        names = {cid: c.name for cid, c in result.ledger.clients.items()}
        names.update({case.client: case.client for case in result.ledger.cases.values() if case.client not in names})
        matched = views.client_of(client, names)
        if matched is None:
            raise click.BadParameter(views.unknown_client(client, names), param_hint="--client")
        client = matched
    states = select(compute_all(result.ledger, obj.today), status=wanted, client=client)
    show(obj, result, lambda: views.list_json(states), lambda: tables.list_text(states, wide=wide))


def next_actions(obj: Options, within: int, wide: bool) -> None:
    from relancegit.engine.state import agenda, compute_all
    from relancegit.render import tables, views

    result = loaded(obj)
    states = compute_all(result.ledger, obj.today)
    due = agenda(states, obj.today, within)
    show(obj, result, lambda: views.next_json(due), lambda: tables.next_text(due, obj.today, states, wide=wide))


def report(obj: Options, wide: bool) -> None:
    from relancegit.engine.portfolio import portfolio
    from relancegit.engine.state import compute_all
    from relancegit.render import tables, views

    result = loaded(obj)
    figures = portfolio(compute_all(result.ledger, obj.today), obj.today)
    names = {cid: client.name for cid, client in result.ledger.clients.items()}
    show(obj, result, lambda: views.report_json(figures), lambda: tables.report_text(figures, names, wide=wide))


def rates(obj: Options) -> None:
    from relancegit.engine.state import compute_all
    from relancegit.render.rates_report import rates_report, report_json, report_text

    result = loaded(obj)
    ledger = result.ledger
    if any(path.name == "relancegit.yaml" for path in result.left_out):
        # Its `rates:` and `penalties:` are what this reports on: nothing to say without them.
        raise RelancegitError("relancegit.yaml has errors; run 'relancegit check'")
    found = rates_report(ledger.config, compute_all(ledger, obj.today), obj.today)
    if obj.format == "json":
        print_json(report_json(found))
    else:
        click.echo(report_text(found, str(shown_path(ledger.root / "relancegit.yaml"))))
    finish(result)
