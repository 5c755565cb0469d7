"""Letters: which letter a case needs, what it says, every template in every tone and language."""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO, DEMO_TODAY

from relancegit import letters
from relancegit.cli import main
from relancegit.letters.compose import place_of
from relancegit.letters.context import EXTRA_DOCUMENTS, Keyword
from relancegit.letters.render import TemplateProblem, render_text, template_names
from relancegit.model import Ledger
from relancegit.problems import RelancegitError, UsageError
from relancegit.read.load import load_ledger

GOLDEN = Path(__file__).parent / "golden" / "letters"
UPDATE_GOLDEN = os.environ.get("RELANCEGIT_UPDATE_GOLDEN") == "1"
NNBSP, NBSP = "\u202f", "\u00a0"

# One demo case per step, each at that step as of 2026-11-23 (ledger/COVERAGE.md).
GOLDEN_CASES = {
    "pre-due": "2026-0249",  # loyal client, gentle policy
    "reminder-1": "2026-0256",  # loyal
    "reminder-2": "2026-0248",  # standard
    "call": "2026-0246",
    "letter": "2026-0233",  # English, loyal, two invoices
    "formal-notice": "2026-0220",  # three invoices
    "escalate": "2026-0208",  # difficult client, after a formal notice
    "promise-broken": "2026-0195",
    "promise-confirmation": "2026-0203",
    "plan-agreement": "2026-0154",
}


@pytest.fixture(scope="module")
def demo() -> Ledger:
    result = load_ledger(DEMO, DEMO_TODAY)
    assert not result.errors
    return result.ledger


def md(ledger: Ledger, case_id: str, step: str | None = None, today: date = DEMO_TODAY) -> str:
    return letters.render(letters.letter_for_case(ledger, case_id, today, step), "md").decode("utf-8")


# --- every template, every tone, every language ----------------------------------------------

STEPS = ["pre-due", "reminder-1", "reminder-2", "call", "letter", "formal-notice", "escalate", *EXTRA_DOCUMENTS]
# A case with what each document needs (a promise to confirm, a plan to sign).
CASE_FOR = {
    "pre-due": "2026-0249",
    "promise-confirmation": "2026-0203",
    "plan-agreement": "2026-0154",
    "promise-broken": "2026-0195",
}


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("tone", ["loyal", "standard", "difficult"])
@pytest.mark.parametrize("debtor", ["business", "consumer"])
def test_every_template_renders_with_no_missing_variable(
    demo: Ledger, step: str, language: str, tone: str, debtor: str
) -> None:
    case_id = CASE_FOR.get(step, "2026-0220")
    letter = letters.letter_for_case(demo, case_id, DEMO_TODAY, step)
    context = dataclasses.replace(
        letter.context,
        language=Keyword(language),
        tone=Keyword(tone),
        business=debtor == "business",
        debtor=dataclasses.replace(letter.context.debtor, consumer=debtor == "consumer"),
    )
    letter = dataclasses.replace(letter, context=context)
    for header in (True, False):
        for for_html in (False, True):
            text = render_text(letter, header=header, for_html=for_html)
            assert text.subject and len(text.text) > 200
            assert "Undefined" not in text.text and "None" not in text.text
    page = letters.render(letter, "html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page


@pytest.mark.parametrize("step", ["reminder-1", "reminder-2", "letter"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_tone_variants_exist_and_differ(step: str, language: str) -> None:
    packaged = Path(__file__).resolve().parents[1] / "templates"
    texts = {}
    for tone in ("loyal", "standard", "difficult"):
        names = template_names(step, tone, language)
        found = next(n for n in names if (packaged / n).is_file())
        texts[tone] = (packaged / found).read_text("utf-8")
    assert len(set(texts.values())) == 3


def test_next_action_picks_the_letter(demo: Ledger) -> None:
    expected = {
        "2026-0256": ("reminder-1", "step"),
        "2026-0248": ("reminder-2", "step"),
        "2026-0246": ("call", "step"),
        "2026-0233": ("letter", "step"),
        "2026-0220": ("formal-notice", "step"),
        "2026-0208": ("escalate", "step"),
        "2026-0179": ("formal-notice", "plan-broken"),
        "2026-0195": ("promise-broken", "promise-broken"),
        "2026-0203": ("promise-confirmation", "promise-check"),
        "2026-0154": ("plan-agreement", "plan-check"),
    }
    for case_id, (step, kind) in expected.items():
        context = letters.letter_for_case(demo, case_id, DEMO_TODAY).context
        assert (context.step, context.kind) == (step, kind), case_id


def test_no_letter_for_a_paid_case_or_an_open_dispute(demo: Ledger) -> None:
    with pytest.raises(RelancegitError, match="is paid"):
        letters.letter_for_case(demo, "2026-0018", DEMO_TODAY)
    with pytest.raises(RelancegitError, match="open dispute"):
        letters.letter_for_case(demo, "2026-0240", DEMO_TODAY)
    # ... unless asked for explicitly.
    assert "relance" in md(demo, "2026-0240", "letter").lower()


def test_unknown_case_client_and_step(demo: Ledger) -> None:
    with pytest.raises(RelancegitError, match="unknown case 'nope'"):
        letters.letter_for_case(demo, "nope", DEMO_TODAY)
    with pytest.raises(RelancegitError, match="unknown client"):
        letters.letter_for_client(demo, "nope", DEMO_TODAY)
    with pytest.raises(UsageError, match="unknown step 'bogus'"):
        letters.letter_for_case(demo, "2026-0220", DEMO_TODAY, "bogus")
    with pytest.raises(RelancegitError, match="no promise"):
        letters.letter_for_case(demo, "2026-0220", DEMO_TODAY, "promise-confirmation")


# --- what the letters say ----------------------------------------------------------------------


def test_formal_notice_holds_every_element_of_legal_fr(demo: Ledger) -> None:
    text = md(demo, "2026-0220")
    assert "Atelier Dupré SARL" in text and "Acme Industrie SAS" in text  # both parties
    assert "Mise en demeure" in text and "mettons en demeure" in text
    assert "Lettre recommandée avec accusé de réception" in text
    for number, due in (("F2026-0220", "09/10/2026"), ("F2026-0232", "23/10/2026"), ("F2026-0244", "06/11/2026")):
        assert re.search(rf"\| {number} \| [0-9/]+ \| {due} \|", text)
    assert f"8{NNBSP}160,00{NBSP}€" in text  # principal
    # Deadline: eight days from receipt of the registered letter (it may wait 15 days at the post office).
    assert "dans un délai de huit jours à compter de la réception de la présente" in text
    assert "au plus tard le 1er décembre 2026" not in text
    assert "L441-10" in text and "D441-5" in text  # legal basis
    assert f"(3 × 40,00{NBSP}€) | 120,00{NBSP}€" in text  # indemnity per late invoice
    assert "injonction de payer" in text  # the consequence
    assert "| IBAN | FR76 1027 8073 4000 0204 1980 137 |" in text  # how to pay
    assert "Villeurbanne, le 23 novembre 2026" in text  # place and date
    assert "Claire Martin, gérante" in text  # signature
    assert "accus" not in text.replace("accusé de réception", "")  # factual, never accusatory


def test_formal_notice_with_known_rates_states_the_interest(make_ledger) -> None:  # type: ignore[no-untyped-def]
    root = make_ledger(
        {
            "clients/acme.yaml": "id: acme\nname: ACME Industrie SAS\naddress: [1 rue de la Paix, 75002 Paris]\n",
            "cases/2026/2026-0042.yaml": """\
            id: 2026-0042
            client: acme
            invoices:
              - {number: F2026-0042, date: 2026-09-01, due: 2026-10-01, amount: 1500.00}
            """,
        }
    )
    ledger = load_ledger(root, DEMO_TODAY).ledger
    text = md(ledger, "2026-0042", "formal-notice")
    # 53 days × 1 500 × 12.15 % / 365 = 26.46 (conftest's 2026-H2 test row).
    assert f"| Pénalités de retard arrêtées au 23 novembre 2026 | 26,46{NBSP}€ |" in text
    assert f"la somme de 1{NNBSP}566,46{NBSP}€ dans un délai de huit jours à compter de la réception" in text
    # The rate is stated as a figure, with its half-year (ECB 2.15 + 10 points in conftest's row).
    assert f"au taux de 12,15{NBSP}% l'an au second semestre 2026" in text


def test_consumer_letters_claim_no_indemnity_and_no_fees(demo: Ledger) -> None:
    notice = md(demo, "2026-0225", "formal-notice")
    assert "Indemnité forfaitaire" not in notice and "D441-5" not in notice
    assert "1344-1" in notice  # legal interest runs from the formal notice
    for step in ("reminder-1", "reminder-2", "letter"):
        text = md(demo, "2026-0221", step)
        assert "indemnité" not in text.lower() and "L441-10" not in text
    dossier = md(demo, "2026-0225", "escalate")
    assert "L111-8" in dossier and "aucune indemnité forfaitaire" in dossier


def test_penalties_only_from_claim_step(demo: Ledger) -> None:
    assert "| Principal restant dû |" not in md(demo, "2026-0233", "letter")
    assert "| Principal outstanding |" in md(demo, "2026-0233", "formal-notice")  # English client


def test_handover_mentions_small_claims_under_5000(demo: Ledger) -> None:
    small = md(demo, "2026-0225", "escalate")  # 2 040 €
    big = md(demo, "2026-0208", "escalate")  # 6 912 €
    assert "L125-1" in small and "petites créances" in small
    assert "L125-1" not in big
    for text in (small, big):
        assert "## Historique complet" in text and f"Prescription{NBSP}: au plus tard le" in text
        assert "Principal restant dû" in text


def test_english_letters_read_english(demo: Ledger) -> None:
    text = md(demo, "2026-0233")
    assert "Dear Mr De Smet," in text and "€7,920.00" in text and "1 December 2026" in text
    assert "Madame" not in text
    # Nothing left in French: the creditor's title, the sender's country, a phone number abroad.
    assert "Claire Martin, Managing Director" in text and "gérante" not in text
    assert "69100 Villeurbanne  \nFrance  \n" in text and "+33 1 99 00 12 40" in text
    assert "> For the attention of Mr Jan De Smet, accounts  \n" in text


def test_consolidated_letter_lists_every_overdue_invoice_at_the_most_advanced_step(demo: Ledger) -> None:
    letter = letters.letter_for_client(demo, "acme-industrie", DEMO_TODAY)
    context = letter.context
    assert context.step == "formal-notice" and context.consolidated
    assert set(context.cases) == {"2026-0179", "2026-0220"}
    assert [i.number for i in context.invoices] == ["F2026-0179", "F2026-0220", "F2026-0232", "F2026-0244"]
    assert letter.name == "acme-industrie-formal-notice"
    text = letters.render(letter, "md").decode()
    assert f"15{NNBSP}040,00{NBSP}€" in text
    with pytest.raises(RelancegitError, match="no case of client 'jolivet-design' is due"):
        letters.letter_for_client(demo, "jolivet-design", DEMO_TODAY)


def test_place_of_the_creditor() -> None:
    assert place_of(["14 rue des Tanneurs", "69100 Villeurbanne"]) == "Villeurbanne"
    assert place_of(["BP 12", "69007 LYON CEDEX 07"]) == "LYON"
    assert place_of(["Somewhere"]) == "Somewhere"


# --- templates: strictness and overrides --------------------------------------------------------


def test_a_missing_variable_is_an_error_not_an_empty_string(demo: Ledger, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "templates" / "letters").mkdir(parents=True)
    import shutil

    shutil.copytree(DEMO, repo / "ledger")
    (repo / "templates" / "letters" / "reminder-1.fr.md.j2").write_text(
        "{% set subject = 'x' %}Bonjour {{ debtor.nickname }}\n", encoding="utf-8"
    )
    ledger = load_ledger(repo / "ledger", DEMO_TODAY).ledger
    letter = letters.letter_for_case(ledger, "2026-0248", DEMO_TODAY, "reminder-1")
    with pytest.raises(TemplateProblem, match="nickname"):
        letters.render(letter, "md")


def test_a_user_template_overrides_the_packaged_one(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo / "ledger")
    (repo / "templates" / "letters").mkdir(parents=True)
    (repo / "templates" / "letters" / "reminder-2.fr.md.j2").write_text(
        "{% set subject = 'Notre modèle' %}Solde : {{ balance | money }}\n", encoding="utf-8"
    )
    ledger = load_ledger(repo / "ledger", DEMO_TODAY).ledger
    text = md(ledger, "2026-0248")
    assert text == f"Solde{NBSP}: 2{NNBSP}496,00{NBSP}€\n"  # French typography applies to user templates too


# --- golden files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("step", "case_id"), sorted(GOLDEN_CASES.items()))
def test_golden_letters(demo: Ledger, step: str, case_id: str) -> None:
    text = md(demo, case_id, step)
    golden = GOLDEN / f"{case_id}-{step}.md"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}: run with RELANCEGIT_UPDATE_GOLDEN=1"
    assert text == golden.read_text("utf-8"), f"{golden.name} differs (RELANCEGIT_UPDATE_GOLDEN=1 to regenerate)"


# --- the command -----------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--ledger", str(DEMO), "--today", "2026-11-23", *args])
    return result.exit_code, result.stdout, result.stderr


def test_letter_command_writes_to_stdout_or_a_folder(tmp_path: Path) -> None:
    code, out, _ = run("letter", "2026-0256")
    assert code == 0 and f"Petit rappel — facture n°{NBSP}F2026-0256" in out
    code, out, _ = run("letter", "2026-0220", "--format", "html", "-o", str(tmp_path))
    assert code == 0 and out.strip() == str((tmp_path / "2026-0220-formal-notice.html").resolve())
    code, out, _ = run("letter", "--client", "acme-industrie", "-o", str(tmp_path))
    assert code == 0 and (tmp_path / "acme-industrie-formal-notice.md").is_file()


def test_letter_command_errors(tmp_path: Path) -> None:
    assert run("letter", "nope")[0] == 1
    assert run("letter", "2026-0220", "--step", "bogus")[0] == 2
    assert run("letter")[0] == 2
    assert run("letter", "2026-0220", "--client", "acme-industrie")[0] == 2
    assert run("letter", "--client", "nope")[0] == 1
    code, _, err = run("letter", "2026-0018")
    assert code == 1 and "paid" in err and "Traceback" not in err


def test_output_paths_cannot_escape_the_folder(tmp_path: Path) -> None:
    assert letters.output_path(tmp_path, "2026-0220-letter", "md") == (tmp_path / "2026-0220-letter.md").resolve()
    for stem in ("../x", "a/b", ".hidden", ".."):
        with pytest.raises(RelancegitError, match="outside"):
            letters.output_path(tmp_path, stem, "md")


def test_handover_dossier_holds_summary_letters_sent_and_invoice_files(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(DEMO, tmp_path / "ledger")
    case = tmp_path / "ledger" / "cases" / "2026" / "2026-0208.yaml"
    text = case.read_text("utf-8")
    assert "    amount: 6912.00\n" in text
    with_file = text.replace("    amount: 6912.00\n", "    amount: 6912.00\n    file: invoices/F2026-0208.pdf\n", 1)
    case.write_text(with_file, "utf-8")
    (tmp_path / "ledger" / "invoices").mkdir()
    (tmp_path / "ledger" / "invoices" / "F2026-0208.pdf").write_bytes(b"%PDF-1.4 invoice")
    out = tmp_path / "out"
    args = ["--ledger", str(tmp_path / "ledger"), "--today", "2026-11-23"]
    result = CliRunner().invoke(main, [*args, "letter", "2026-0208", "--step", "escalate", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    dossier = out / "2026-0208-escalate"
    assert (out / "2026-0208-escalate.md").is_file() and (dossier / "summary.md").is_file()
    assert (dossier / "invoices" / "F2026-0208.pdf").read_bytes() == b"%PDF-1.4 invoice"
    sent = sorted(p.name for p in (dossier / "regenerated").iterdir())
    assert sent == [
        "2026-09-28-reminder-1.md",
        "2026-10-05-reminder-2.md",
        "2026-10-26-letter.md",
        "2026-11-09-formal-notice.md",
    ]
    # Each letter is dated the day it was sent, from the case as it was just before.
    notice = (dossier / "regenerated" / "2026-11-09-formal-notice.md").read_text("utf-8")
    assert "le 9 novembre 2026" in notice and "dans un délai de huit jours à compter de la réception" in notice
    assert "9 novembre 2026 (mise en demeure" not in notice
