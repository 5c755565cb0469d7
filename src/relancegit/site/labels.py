"""The words of the dashboard: a thin accessor over `relancegit.words` for one language.

Layer: presentation. The words themselves live in `words/fr.py` and `words/en.py`, shared
with the terminal and the letters; this only picks the language and writes a site's labels.
"""

from __future__ import annotations

from typing import Any

from relancegit.engine.schedule import ActionKind
from relancegit.render import formatting, views
from relancegit.words import vocabulary


class Words:
    """Labels of one language, with the domain vocabularies as methods."""

    def __init__(self, language: str) -> None:
        self.language = "en" if language == "en" else "fr"
        self.vocabulary = vocabulary(self.language)
        self.ui: dict[str, Any] = self.vocabulary["site"]

    def status(self, status: str) -> str:
        return str(self.vocabulary["status"].get(status, status))

    def step(self, step: str | None) -> str:
        if not step:
            return ""
        if step == "*":
            return str(self.ui["analytics"]["all_channels"])
        return views.step_label(step, self.vocabulary)

    def channel(self, channel: str | None) -> str:
        if not channel:
            return ""
        return views.channel_label(channel, self.vocabulary)

    def lexicon(self, currency: str) -> views.Lexicon:
        """Reasons and timeline lines in this language, amounts in the ledger's currency."""
        language = self.language
        return views.Lexicon(words=self.vocabulary, money=lambda amount: formatting.money(amount, currency, language))

    def action(self, kind: ActionKind, step: str | None) -> str:
        return views.kind_label(kind, step, self.vocabulary)
