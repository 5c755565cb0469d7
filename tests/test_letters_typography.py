"""French typography of letters: the function on its own, then every rendered demo letter."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import DEMO, DEMO_TODAY

from relancegit import letters
from relancegit.letters.compose import known_steps
from relancegit.letters.context import EXTRA_DOCUMENTS
from relancegit.letters.typography import NBSP, NNBSP, french, typeset
from relancegit.model import Ledger
from relancegit.problems import RelancegitError
from relancegit.read.load import load_ledger

# --- the function ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Objet : relance", f"Objet{NBSP}: relance"),
        ("**Objet :** relance", f"**Objet{NBSP}:** relance"),
        ("Merci ! Et vous ? Oui ; non", f"Merci{NNBSP}! Et vous{NNBSP}? Oui{NNBSP}; non"),
        ("la mention « Bon pour accord »", f"la mention «{NBSP}Bon pour accord{NBSP}»"),
        ("«Bon pour accord»", f"«{NBSP}Bon pour accord{NBSP}»"),
        ("factures nos F2026-0220 et F2026-0232", f"factures nos{NBSP}F2026-0220 et F2026-0232"),
        ("facture n° 12", f"facture n°{NBSP}12"),
        ("nos relances", "nos relances"),
        ("au taux de 12,15 % l'an", f"au taux de 12,15{NBSP}% l'an"),
        ("À l'attention de Agnès Roux", "À l'attention d'Agnès Roux"),
        ("la part de Émile, de Isabelle", "la part d'Émile, d'Isabelle"),
        ("De Arnaud", "D'Arnaud"),
        ("de Hugo, de Bernard, de onze jours", "de Hugo, de Bernard, de onze jours"),
        ("Vendée Agnès, monde entier", "Vendée Agnès, monde entier"),
        # Left alone: no space before the mark, or not French punctuation at all.
        ("https://pay.example/r?x=1;y=2!", "https://pay.example/r?x=1;y=2!"),
        ("compta@atelier-dupre.example", "compta@atelier-dupre.example"),
        ("IBAN FR76 1027 8073 4000 0204 1980 137", "IBAN FR76 1027 8073 4000 0204 1980 137"),
        ("| Montant |\n|---|---:|\n| :--- |", "| Montant |\n|---|---:|\n| :--- |"),
        ("Dupont &amp; Fils ; Martin", f"Dupont &amp; Fils{NNBSP}; Martin"),
        ("à 10:30", "à 10:30"),
        # A Markdown-escaped mark (text converted to HTML) keeps its backslash.
        ("Bravo \\!", f"Bravo{NNBSP}\\!"),
        # Line breaks stay line breaks.
        ("fin\n: début", "fin\n: début"),
    ],
)
def test_french_typography(text: str, expected: str) -> None:
    assert french(text) == expected


def test_french_typography_is_idempotent() -> None:
    text = "Objet : « Bon pour accord » ; n° 12 ! de Agnès ? 12 %"
    once = french(text)
    assert french(once) == once


def test_english_is_left_as_it_is() -> None:
    assert typeset("Subject: de Agnès ; n° 12", "en") == "Subject: de Agnès ; n° 12"


# --- every rendered demo letter ---------------------------------------------------------------

BREAKABLE_BEFORE = re.compile(r"[ \t](?=[:;!?»])|«[ \t]")


@pytest.fixture(scope="module")
def demo() -> Ledger:
    result = load_ledger(DEMO, DEMO_TODAY)
    assert not result.errors
    return result.ledger


def _rendered(demo: Ledger, today: date) -> list[tuple[str, str]]:
    """Every letter the demo can render for each case and step, in the case's language."""
    out = []
    for case_id, case in sorted(demo.cases.items()):
        policy = demo.policy_for(case)
        for step in known_steps(policy):
            try:
                letter = letters.letter_for_case(demo, case_id, today, step)
            except RelancegitError:
                continue
            if letter.context.language != "fr":
                continue
            for fmt in ("md", "html"):
                out.append((f"{case_id} {step} {fmt}", letters.render(letter, fmt).decode("utf-8")))
    return out


def test_no_breakable_space_before_french_punctuation_in_any_demo_letter(demo: Ledger) -> None:
    rendered = _rendered(demo, DEMO_TODAY)
    steps = {name.split()[1] for name, _ in rendered}
    assert set(EXTRA_DOCUMENTS) <= steps and "formal-notice" in steps
    problems = []
    for name, text in rendered:
        if name.endswith("html"):
            text = re.sub(r"<style>.*?</style>", "", text, flags=re.DOTALL)
            text = re.sub(r"<[^>]+>", "", text)
        for match in BREAKABLE_BEFORE.finditer(text):
            line = text[max(0, match.start() - 30) : match.end() + 10]
            problems.append(f"{name}: {line!r}")
    assert not problems, "\n".join(problems[:20])
