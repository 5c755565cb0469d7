"""`letter` and `send`: letters rendered (and kept and recorded once posted), reminders e-mailed.

Layer: the command layer (see `commands/__init__.py`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from relancegit.commands.common import Options, finish, loaded, now
from relancegit.problems import RelancegitError, UsageError

if TYPE_CHECKING:
    from relancegit.letters.render import Letter
    from relancegit.model import Ledger


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
    from relancegit import letters

    if bool(case_id) == bool(client_id):
        raise UsageError("give a CASE or --client CLIENT (one of the two)")
    if commit and not record_it:
        raise UsageError("--commit goes with --record")
    if record_it and (client_id or output is None):
        raise UsageError("--record keeps the letter of one CASE written with -o DIR (not --client)")
    result = loaded(obj)
    ledger = result.ledger
    if case_id:
        from relancegit.read.handles import case_id_for, unknown_case

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
        record_letter(obj, ledger, built, fmt, output, commit)
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
    if not record_it:  # recorded: record_letter said so
        click.echo(letters.letter_status(ledger, built, obj.today), err=True)
    finish(result)


def record_letter(obj: Options, ledger: Ledger, built: Letter, fmt: str, output: Path, commit: bool) -> None:
    """`letter --record`: the bytes written to -o are the bytes kept under ledger/sent/, and
    the event recorded is the rendered step's, refused when it is not a policy step or is
    already recorded."""
    from relancegit import letters
    from relancegit.write.record import Document, RecordRefused
    from relancegit.write.record import record as record_event

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


def send(obj: Options, case_ids: tuple[str, ...], due: bool, dry_run: bool, outbox: Path | None, commit: bool) -> None:
    from relancegit.write.mail import ENV_PASSWORD, Result
    from relancegit.write.mail import send as send_mail

    result = loaded(obj)
    sent_at = now()
    outcomes = send_mail(
        result.ledger,
        obj.today,
        case_ids=case_ids,
        due=due,
        dry_run=dry_run,
        outbox=outbox,
        commit=commit,
        password=os.environ.get(ENV_PASSWORD),
        sent_at=sent_at if sent_at.date() == obj.today else None,
    )
    for outcome in outcomes:
        where = f" -> {outcome.path}" if outcome.path else ""
        line = f"{outcome.result.value:<9} {outcome.case} {outcome.step}: {outcome.detail}{where}"
        click.echo(line, err=outcome.result == Result.FAILED)
    if not outcomes:
        click.echo("nothing to send", err=True)
    if any(not o.ok for o in outcomes):
        sys.exit(1)
    finish(result)
