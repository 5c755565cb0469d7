"""click pieces shared by the command declarations of `cli.py`: the per-command `--format`,
`-o/--output`, the group that turns fatal conditions into messages and exit codes, and the
lazy help of `record`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from relancegit.problems import RelancegitError
from relancegit.speed.gc import release

F = TypeVar("F", bound=Callable[..., Any])


def format_option(func: F) -> F:
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


def output_option(help_text: str, file_okay: bool = False, dir_okay: bool = True) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(file_okay=file_okay, dir_okay=dir_okay, path_type=Path),
        help=help_text,
    )


class Group(click.Group):
    """Turns fatal conditions into messages and exit codes, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RelancegitError as exc:
            click.echo(f"relancegit: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        finally:
            release()  # what `Options.load` kept out of the collector's sight


class EventTypesHelp(click.Command):
    """Builds the event-type list only when help is shown (it needs the model)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from relancegit.commands.record import event_types_help

        self.epilog = event_types_help()
        super().format_epilog(ctx, formatter)
