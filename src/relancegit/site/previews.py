"""The case's letters, rendered into the site as `letters/{case}-{step}.html` (hook).

Layer: glue between the dashboard and the letters module (`relancegit.letters`, written
separately). `find_renderer` uses `relancegit.letters.render_case_letter_html(ledger, state,
step, today) -> str` when the letters module offers it, else adapts its current pieces
(`context.build_context` + `render.to_html`), else renders nothing (case pages then say that
no letter was rendered). Only the letter of each case's next action in the agenda window
is rendered: the letters the team is about to send, at a cost that stays small on a large
ledger. A letter that cannot be rendered (no template for a step, a missing address) is
skipped and counted, never fatal to the build.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from relancegit.engine.schedule import ActionKind
from relancegit.engine.state import CaseState
from relancegit.model import Ledger

# A function (ledger, state, step, today) -> standalone HTML of the letter.
LetterRenderer = Callable[[Ledger, CaseState, str, date], str]


class Writer(Protocol):
    def write(self, relative: str, content: str | bytes) -> None: ...


def find_renderer() -> LetterRenderer | None:
    """The letters module's HTML renderer, when it exists (None until then)."""
    try:
        module: Any = importlib.import_module("relancegit.letters")
    except ImportError:
        return None
    renderer = getattr(module, "render_case_letter_html", None)
    if callable(renderer):
        return renderer  # type: ignore[no-any-return]
    return _adapter()


def _adapter() -> LetterRenderer | None:
    """The letters module's pieces as of this writing: a context, then standalone HTML."""
    try:
        context_module: Any = importlib.import_module("relancegit.letters.context")
        render_module: Any = importlib.import_module("relancegit.letters.render")
        build_context = context_module.build_context
        letter_class = render_module.Letter
        to_html = render_module.to_html
    except (ImportError, AttributeError):
        return None

    def render(ledger: Ledger, state: CaseState, step: str, today: date) -> str:
        context = build_context(ledger, [state], step, today)
        letter = letter_class(
            context=context,
            ledger_root=ledger.root,
            currency=ledger.config.currency,
            sender=None,
            hash_seed="",
        )
        html: str = to_html(letter)
        return html

    return render


def letter_steps(state: CaseState, horizon: date) -> list[str]:
    """The step whose letter the case needs next, when its action falls by `horizon`."""
    action = state.next_action
    if action is None or action.date > horizon or not action.step:
        return []
    if action.kind not in (ActionKind.STEP, ActionKind.PLAN_BROKEN):
        return []
    return [action.step] if state.policy.step(action.step) is not None else []


def render_letters(
    ledger: Ledger,
    states: list[CaseState],
    today: date,
    writer: Writer,
    horizon: date,
    renderer: LetterRenderer | None = None,
) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """Write the letters of the cases; (case id -> [(step, path from the site root)], skipped)."""
    render = renderer or find_renderer()
    if render is None:
        return {}, 0
    found: dict[str, list[tuple[str, str]]] = {}
    skipped = 0
    for state in states:
        for step in letter_steps(state, horizon):
            try:
                html = render(ledger, state, step, today)
            except Exception:
                skipped += 1
                continue
            relative = f"letters/{state.id}-{step}.html"
            writer.write(relative, html)
            found.setdefault(state.id, []).append((step, relative))
    return found, skipped
