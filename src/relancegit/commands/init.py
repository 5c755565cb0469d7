"""`init` and `schema`: a new ledger repository, and the JSON Schemas of its files.

Layer: the command layer (see `commands/__init__.py`).
"""

from __future__ import annotations

from pathlib import Path

import click

from relancegit.commands.common import output_errors, print_json


def schema(output: Path | None) -> None:
    from relancegit.scaffold import json_schemas, write_schemas

    if output is None:
        print_json(json_schemas())
        return
    with output_errors(output):
        written = write_schemas(output)
    for path in written:
        click.echo(str(path))


def init(directory: Path, demo: bool) -> None:
    from relancegit.scaffold import init_repository, install_hook

    with output_errors(directory):
        written = init_repository(directory, demo=demo)
    click.echo(f"initialised {directory} ({len(written)} files)")
    click.echo(install_hook(directory))
    click.echo(f"next: cd {directory} && relancegit check; README.md there says what to set up once")
