"""`calendar`: the iCalendar file of upcoming actions and deadlines.

Layer: the command layer (see `commands/__init__.py`).
"""

from __future__ import annotations

from pathlib import Path

import click

from relancegit.commands.common import Options, finish, loaded


def calendar(obj: Options, output: Path | None) -> None:
    from relancegit.engine.state import compute_all
    from relancegit.render.ical import calendar_ics, write_calendar

    result = loaded(obj)
    data = calendar_ics(compute_all(result.ledger, obj.today), obj.today)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        write_calendar(output, data)
        click.echo(f"wrote {output}", err=True)
    finish(result)
