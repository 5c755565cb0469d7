"""`build`: the static dashboard, incremental and across the cores when the speed door is open.

Layer: the command layer (see `commands/__init__.py`): hands `speed.pages` and a progress bar
to `site.write_site`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from relancegit.commands.common import Options, finish, loaded

ENV_REDACT_KEY = "RELANCEGIT_REDACT_KEY"
PROGRESS_MIN_PAGES = 200  # smaller sites build in a blink: no bar


def build(obj: Options, output: Path | None, redact: bool) -> None:
    from relancegit.site import write_site
    from relancegit.speed import pages
    from relancegit.speed.progress import Progress, progress_bar

    result = loaded(obj)
    ledger = result.ledger
    out_dir = output if output is not None else ledger.root.resolve().parent / "site"
    key = os.environ.get(ENV_REDACT_KEY) or None
    if redact and key is None:
        key = local_redact_key(ledger.root)
    with contextlib.ExitStack() as stack:
        bar: Progress | None = None
        if sys.stderr.isatty() and len(ledger.cases) + len(ledger.clients) >= PROGRESS_MIN_PAGES:
            bar = stack.enter_context(progress_bar("building the dashboard"))
        keeper = pages.keeper(out_dir, ledger.root)
        done = write_site(ledger, obj.today, out_dir, redact=redact, redact_key=key, progress=bar, pages=keeper)
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
    finish(result)


def local_redact_key(ledger_root: Path) -> str:
    """The key of `build --redact` without $RELANCEGIT_REDACT_KEY, with a warning saying so."""
    from relancegit.site.redact import local_key

    key, stored = local_key(ledger_root)
    where = f"the random key in {stored}" if stored else "a random key for this build only"
    click.echo(
        f"relancegit: warning: {ENV_REDACT_KEY} is not set: pseudonyms use {where}; in CI, set "
        f"{ENV_REDACT_KEY} to a secret so that they stay the same from one build to the next",
        err=True,
    )
    return key
