"""`record`: append an event to a case (and commit it).

Layer: the command layer (see `commands/__init__.py`).
"""

from __future__ import annotations

import click

from relancegit.commands.common import Options, parse_date_option, shown_path
from relancegit.read.discover import find_ledger


def event_types_help() -> str:
    """The epilog of `record --help`: each event type and its keys (it needs the model)."""
    from relancegit.model import EVENT_TYPES, EventBase

    def keys(model: type[EventBase]) -> str:
        own = [k for k in model.model_fields if k not in EventBase.model_fields and k != "type"]
        return " ".join(f"{k}=" for k in [*own, "note", "by"])

    rows = [f"  {name:<17}{keys(model)}" for name, model in EVENT_TYPES.items()]
    return "\b\nEvent types and their keys:\n" + "\n".join(rows)


def record(
    obj: Options, case_id: str, event_type: str, assignments: tuple[str, ...], event_date: str | None, commit: bool
) -> None:
    from relancegit.read.handles import resolve_case_handle
    from relancegit.speed.gc import gc_paused
    from relancegit.write.record import RecordRefused
    from relancegit.write.record import record as record_event

    when = parse_date_option(event_date, "--date")
    root = find_ledger(obj.ledger)
    case_id = resolve_case_handle(root, case_id, obj.today)  # an invoice number names its case
    try:
        with gc_paused():  # a large case makes millions of objects and no cycles
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
    click.echo(f"recorded {done.event['type']} in {shown_path(done.path)}:{done.line}")
    if done.commit:
        click.echo(f"committed {done.commit}")
