"""Case handles: people name a case by its id or by one of its invoice numbers.

Layer: lookup over the model (or the file listing). Invoice numbers are unique ledger-wide
(`check` refuses duplicates), so a number names one case; a case id wins when a string is both.
"""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

from relancegit.model import Ledger
from relancegit.problems import RelancegitError
from relancegit.read.discover import ledger_file_names


def case_id_for(ledger: Ledger, handle: str) -> str | None:
    """The id of the case `handle` names (its id, or one of its invoice numbers), or None."""
    if handle in ledger.cases:
        return handle
    return next((case.id for case in ledger.cases.values() if any(i.number == handle for i in case.invoices)), None)


def unknown_case(ledger: Ledger, handle: str) -> RelancegitError:
    """The error for a handle naming nothing, with the closest ids and numbers."""
    names = [*ledger.cases, *(i.number for c in ledger.cases.values() for i in c.invoices)]
    close = difflib.get_close_matches(handle, names, n=3, cutoff=0.75)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return RelancegitError(f"unknown case or invoice number '{handle}'{hint}")


def resolve_case_handle(root: Path, handle: str, today: date) -> str:
    """The case id for commands that work on files (record, history): a case file's name is
    taken at once; anything else is looked up among the invoice numbers of the loaded ledger."""
    listing = ledger_file_names(root)
    # A case file by that name, readable or not (a link, say): the command says what is wrong.
    if any(Path(name).stem == handle for name in listing.cases) or any(
        Path(problem.file).stem == handle for problem in listing.problems
    ):
        return handle
    from relancegit.read.load import load_ledger

    ledger = load_ledger(root, today).ledger
    found = case_id_for(ledger, handle)
    if found is None:
        raise unknown_case(ledger, handle)
    return found


def find_case_file(root: Path, case_id: str) -> Path:
    listing = ledger_file_names(root)
    found = [Path(p) for p in listing.cases if Path(p).stem == case_id]
    if not found:
        # Found but not read (a link leading outside the ledger, a FIFO, an unreadable file):
        # say why rather than "no case".
        for problem in listing.problems:
            if Path(problem.file).stem == case_id:
                refuse_symlink(Path(problem.file))
                raise RelancegitError(problem.format())
        raise RelancegitError(f"no case '{case_id}' in {root / 'cases'}")
    if len(found) > 1:
        raise RelancegitError(f"case id '{case_id}' is used by several files: {', '.join(map(str, found))}")
    return found[0]


def refuse_symlink(case_path: Path) -> None:
    """`record` replaces the file by renaming a new one over it: over a link, that would
    replace the link and leave its target unchanged."""
    if case_path.is_symlink():
        target = case_path.readlink()
        raise RelancegitError(
            f"{case_path} is a symbolic link (to {target}); record does not write through links: "
            "make the case a regular file in ledger/cases/ (move the target there), then record again"
        )
