"""Letters a French SME can send as they are: one test per legal point (consumer plan clause,
consolidated notice with a broken plan, deadline from receipt, stated rate, prescription, title
recorded), the facts and dates they quote, the address block, and the PDF layout."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEMO_TODAY, LedgerFactory
from pypdf import PdfReader

from relancegit import letters
from relancegit.cli import main
from relancegit.engine.rates import RateTable
from relancegit.engine.state import compute_case
from relancegit.model import Ledger
from relancegit.problems import RelancegitError
from relancegit.read.load import load_ledger

NNBSP, NBSP = "\u202f", "\u00a0"
MM = 72 / 25.4

CONFIG = """\
creditor:
  name: Atelier Dupré SARL
  address: [14 rue des Tanneurs, 69100 Villeurbanne]
  phone: 01 99 00 12 40
  iban: FR76 1027 8073 4000 0204 1980 137
  bic: CMCIFR2A
  signatory: Claire Martin, gérante
rates:
  - {period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
"""

BUSINESS = """\
id: acme
name: ACME Industrie SAS
address: [8 place Bellecour, 69002 Lyon]
contacts:
  - {name: Agnès Roux, role: comptable, email: agnes@acme.example}
"""

CONSUMER = """\
id: nguyen
name: Linh Nguyen
type: consumer
civility: Mme
address: [88 cours Gambetta, 69003 Lyon]
contacts:
  - {name: Linh Nguyen, role: cliente, email: linh@courriel.example, phone: 01 99 00 74 35}
"""

PLAN = """\
id: {id}
client: {client}
invoices:
  - {{number: F{id}, date: 2026-08-01, due: 2026-08-31, amount: 3000.00}}
events:
  - date: 2026-09-05
    type: plan
    signed: true
    installments:
      - {{due: 2026-09-30, amount: 1000}}
      - {{due: 2026-10-30, amount: 1000}}
      - {{due: 2026-11-30, amount: 1000}}
  - {{date: 2026-09-29, type: payment, amount: 1000}}
"""

UNPAID = """\
id: {id}
client: {client}
invoices:
  - {{number: F{id}, date: {date}, due: {due}, amount: {amount}}}
events: []
"""


def ledger_of(make_ledger: LedgerFactory, files: dict[str, str | None], today: date = DEMO_TODAY) -> Ledger:
    root = make_ledger({"relancegit.yaml": CONFIG, "clients/acme.yaml": BUSINESS, **files})
    result = load_ledger(root, today)
    assert not result.errors, [p.message for p in result.errors]
    return result.ledger


def md(ledger: Ledger, case_id: str, step: str | None = None, today: date = DEMO_TODAY) -> str:
    return letters.render(letters.letter_for_case(ledger, case_id, today, step), "md").decode("utf-8")


def with_language(make_ledger: LedgerFactory, files: dict[str, str | None], language: str) -> Ledger:
    files = {"clients/acme.yaml": BUSINESS, **files}
    files = {k: (v + f"language: {language}\n" if k.startswith("clients/") and v else v) for k, v in files.items()}
    return ledger_of(make_ledger, files)


# --- item 2: a consumer's plan is not cancelled without notice ----------------------------------


def test_consumer_plan_agreement_gives_notice_before_the_balance_falls_due(make_ledger: LedgerFactory) -> None:
    files = {"clients/nguyen.yaml": CONSUMER, "cases/2026/2026-0042.yaml": PLAN.format(id="2026-0042", client="nguyen")}
    text = md(ledger_of(make_ledger, files), "2026-0042", "plan-agreement", date(2026, 10, 1))
    assert (
        "nous vous adresserons une mise en demeure de régulariser les versements en retard dans un délai "
        "de quinze jours à compter de sa réception. À défaut de régularisation dans ce délai, la totalité "
        "du solde restant dû deviendra exigible."
    ) in text
    assert "sans autre avis" not in text and "immédiatement exigible" not in text
    # A consumer is addressed as a person: no business words, no "Nom et qualité", no "(cliente)".
    assert "Madame,\n" in text and "> Mme Linh Nguyen  \n" in text
    assert "Nom et qualité" not in text and "cliente" not in text and "attention" not in text
    english = md(with_language(make_ledger, files, "en"), "2026-0042", "plan-agreement", date(2026, 10, 1))
    assert "we will send you a formal notice asking you to pay the overdue instalments within fifteen days" in english
    assert "without further notice" not in english and "Dear Ms Nguyen," in english


def test_a_consumers_broken_plan_gets_a_notice_to_catch_up_first(make_ledger: LedgerFactory) -> None:
    files = {"clients/nguyen.yaml": CONSUMER, "cases/2026/2026-0042.yaml": PLAN.format(id="2026-0042", client="nguyen")}
    text = md(ledger_of(make_ledger, files), "2026-0042")  # 2026-11-23: the 30 October installment was missed
    assert "Aux termes de l'échéancier signé le 5 septembre 2026, un versement de 1" in text
    assert (
        f"de nous régler les versements échus et impayés de l'échéancier, soit 1{NNBSP}000,00{NBSP}€, dans un délai "
        "de quinze jours à compter de la réception de la présente. À défaut, la totalité du solde restant dû"
    ) in text


def test_business_plan_says_whether_accrued_penalties_remain_due(make_ledger: LedgerFactory) -> None:
    files = {"cases/2026/2026-0042.yaml": PLAN.format(id="2026-0042", client="acme")}
    kept = md(ledger_of(make_ledger, files), "2026-0042", "plan-agreement", date(2026, 10, 1))
    assert "5. Les pénalités de retard et l'indemnité forfaitaire pour frais de recouvrement acquises à ce jour" in kept
    assert "ne sont pas comprises dans l'échéancier et restent dues" in kept
    assert (
        f"la totalité du solde restant dû sera exigible{NNBSP}; nous vous adresserons alors une mise en demeure" in kept
    )
    waived = CONFIG + "penalties: {waive_if_plan_kept: true}\n"
    root = make_ledger({"relancegit.yaml": waived, "clients/acme.yaml": BUSINESS, **files})
    text = md(load_ledger(root, DEMO_TODAY).ledger, "2026-0042", "plan-agreement", date(2026, 10, 1))
    assert (
        f"si tous les versements sont effectués à leur date, nous y renonçons{NNBSP}; à défaut, elles resteront dues"
        in text
    )


# --- item 1: one formal notice for a client, with a broken plan among its cases ----------------


def test_consolidated_notice_invokes_the_broken_plan(make_ledger: LedgerFactory) -> None:
    files = {
        "cases/2026/2026-0042.yaml": PLAN.format(id="2026-0042", client="acme"),
        "cases/2026/2026-0050.yaml": UNPAID.format(
            id="2026-0050", client="acme", date="2026-08-20", due="2026-09-19", amount="900.00"
        ).replace("events: []", "events:\n  - {date: 2026-09-25, type: reminder, step: reminder-1, channel: email}"),
    }
    ledger = ledger_of(make_ledger, files)
    letter = letters.letter_for_client(ledger, "acme", DEMO_TODAY, "formal-notice")
    text = letters.render(letter, "md").decode("utf-8")
    assert "Aux termes de l'échéancier signé le 5 septembre 2026 (dossier 2026-0042), un versement de 1" in text
    assert "la totalité du solde restant dû est devenue exigible, conformément à ses conditions" in text
    assert "Par ailleurs, malgré notre relance du 25 septembre 2026 (première relance par courriel)" in text
    # The reference is the cases, not the client id; the transfer quotes them too.
    assert f"Référence{NBSP}: 2026-0042, 2026-0050" in text and "| Référence à rappeler | 2026-0042 2026-0050 |" in text


# --- item 5: the formal notice's deadline runs from receipt ------------------------------------


def test_formal_notice_deadline_is_worded_from_receipt_and_counted_from_it(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00")
    ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case})
    text = md(ledger, "2026-0042", "formal-notice")
    assert "dans un délai de huit jours à compter de la réception de la présente.**" in text
    assert "au plus tard le" not in text.split("mettons en demeure")[1].split("\n")[0]
    # Recorded: sent on Friday 6 November, received on Saturday 14 November -> 22 November is a
    # Sunday, moved to Monday 23 November; without a receipt, 6 + 8 = 14 (Saturday) -> Monday 16.
    sent = case.replace("events: []", "events:\n  - {date: 2026-11-06, type: reminder, step: formal-notice}")
    received = sent.replace("step: formal-notice}", "step: formal-notice, received: 2026-11-14}")
    for text_case, expected in ((sent, date(2026, 11, 16)), (received, date(2026, 11, 23))):
        ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": text_case})
        state = compute_case(ledger, ledger.cases["2026-0042"], DEMO_TODAY, RateTable.for_config(ledger.config))
        assert state.deadlines.formal_notice == expected


# --- item 6: the interest rate is stated as a figure, with its half-year --------------------------


def test_the_rate_is_stated_with_its_period(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00")
    text = md(ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case}), "2026-0042", "formal-notice")
    assert (
        f"au taux de 12,15{NBSP}% l'an au second semestre 2026, soit le taux de refinancement de la Banque "
        "centrale européenne majoré de 10 points (article L441-10 du Code de commerce)"
    ) in text
    consumer = {"clients/nguyen.yaml": CONSUMER, "cases/2026/2026-0042.yaml": case.replace("acme", "nguyen")}
    text = md(ledger_of(make_ledger, consumer), "2026-0042", "formal-notice")
    assert f"les intérêts au taux de l'intérêt légal, soit 2,62{NBSP}% l'an au second semestre 2026" in text
    english = md(with_language(make_ledger, {"cases/2026/2026-0042.yaml": case}, "en"), "2026-0042", "formal-notice")
    assert "at the rate of 12.15% a year in the second half of 2026, that is the European Central Bank" in english
    # A half-year whose rate is not known yet: the rule, never a guessed figure.
    later = md(
        ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case}, date(2027, 1, 15)),
        "2026-0042",
        "formal-notice",
        date(2027, 1, 15),
    )
    assert "au taux de refinancement de la Banque centrale européenne majoré de 10 points" in later
    assert "premier semestre 2027" not in later


# --- item 4: prescription and enforceable titles in the handover dossier -------------------------


def test_prescription_wording_counts_a_consumer_debt_from_the_invoice_date(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="nguyen", date="2026-09-01", due="2026-10-01", amount="1500.00")
    ledger = ledger_of(make_ledger, {"clients/nguyen.yaml": CONSUMER, "cases/2026/2026-0042.yaml": case})
    text = md(ledger, "2026-0042", "escalate")
    assert (
        f"Prescription{NBSP}: au plus tard le 1er septembre 2028 (2 ans, article L218-2 du Code de la "
        "consommation). Le délai court de l'exécution de la prestation, qui peut précéder l'échéance : "
    ).replace(" : ", f"{NBSP}: ") in text
    assert "il est compté ici, par prudence, à partir de la date de facture, le 1er septembre 2026" in text
    business = md(
        ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case.replace("nguyen", "acme")}), "2026-0042", "escalate"
    )
    assert (
        "au plus tard le 1er octobre 2031 (5 ans, article L110-4 du Code de commerce, à compter du 1er octobre 2026)"
        in business
    )


def test_a_recorded_title_gives_ten_years_and_no_new_order_to_pay(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-01-05", due="2026-02-04", amount="1500.00").replace(
        "events: []",
        'events:\n  - {date: 2026-09-03, type: title, kind: injonction, court: "Tribunal de commerce de Lyon"}',
    )
    ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case})
    state = compute_case(ledger, ledger.cases["2026-0042"], DEMO_TODAY, RateTable.for_config(ledger.config))
    assert state.deadlines.prescription == date(2036, 9, 3) and state.deadlines.title == date(2026, 9, 3)
    text = md(ledger, "2026-0042", "escalate")
    assert (
        f"Titre exécutoire obtenu le 3 septembre 2026{NBSP}: il peut être exécuté jusqu'au 3 septembre 2036 "
        "(10 ans, article L111-4 du Code des procédures civiles d'exécution)"
    ) in text
    assert "**Exécution forcée**" in text and "**Injonction de payer**" not in text
    assert "titre exécutoire" in text.split("## Historique complet")[1]  # the event in the history


def test_check_accepts_title_and_received_keys(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-01-05", due="2026-02-04", amount="1500.00").replace(
        "events: []",
        "events:\n  - {date: 2026-03-02, type: reminder, step: formal-notice, received: 2026-03-05}\n"
        "  - {date: 2026-09-03, type: title, kind: judgment, ref: RG 26/0412}",
    )
    root = make_ledger({"relancegit.yaml": CONFIG, "clients/acme.yaml": BUSINESS, "cases/2026/2026-0042.yaml": case})
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "check"])
    assert result.exit_code == 0, result.output
    bad = case.replace("kind: judgment", "kind: verdict")
    root = make_ledger({"cases/2026/2026-0042.yaml": bad, "relancegit.yaml": CONFIG, "clients/acme.yaml": BUSINESS})
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "check"])
    assert result.exit_code == 1 and "2026-0042.yaml:7:" in result.stderr and "Traceback" not in result.stderr


# --- facts and dates (items 7-9, 11) --------------------------------------------------------------


def test_dates_and_reminders_quoted_as_they_are(make_ledger: LedgerFactory) -> None:
    two = """\
    id: 2026-0042
    client: acme
    invoices:
      - {number: F1, date: 2026-09-01, due: 2026-10-01, amount: 1000.00}
      - {number: F2, date: 2026-09-20, due: 2026-10-20, amount: 1000.00, net: 1000.00}
    events:
      - {date: 2026-09-26, type: reminder, step: pre-due, channel: email}
      - {date: 2026-10-02, type: reminder, step: reminder-1, channel: email}
    """
    text = md(ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": two}), "2026-0042", "letter")
    # Item 7: the invoices fell due on different days.
    assert "dont la plus ancienne échéance remonte au 1er octobre 2026" in text and "échu depuis" not in text
    # Item 8: the courtesy notice before the due date is not a reminder of an unpaid debt.
    assert "le 2 octobre 2026 (première relance par courriel)" in text and "26 septembre" not in text
    # Item 11: reverse-charge VAT (net = amount): no "TTC" column.
    assert "| Montant |" in text and "Montant TTC" not in text
    # Several invoice numbers: "nos", with a no-break space; the transfer quotes the case.
    assert f"factures nos{NBSP}F1 et F2" in text and "| Référence à rappeler | 2026-0042 |" in text
    notice = md(ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": two}), "2026-0042", "formal-notice")
    assert "Malgré notre relance du 2 octobre 2026 (première relance par courriel), les sommes" in notice


def test_a_pre_due_notice_is_refused_for_an_overdue_case(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00")
    ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case})
    with pytest.raises(
        RelancegitError, match=r"fell due on 2026-10-01: the pre-due notice is for invoices not yet due"
    ):
        letters.letter_for_case(ledger, "2026-0042", DEMO_TODAY, "pre-due")
    root = ledger.root
    result = CliRunner().invoke(
        main, ["--ledger", str(root), "--today", "2026-11-23", "letter", "2026-0042", "--step", "pre-due"]
    )
    assert result.exit_code == 1 and "--step reminder-1" in result.stderr and "Traceback" not in result.stderr


# --- the address block ---------------------------------------------------------------------------


def test_the_name_and_the_attention_line_are_in_the_window(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00")
    text = md(ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case}), "2026-0042", "formal-notice")
    assert (
        "> ACME Industrie SAS  \n> À l'attention d'Agnès Roux, comptable  \n> 8 place Bellecour  \n> 69002 Lyon\n"
        in text
    )
    assert "Madame, Monsieur,\n" in text  # no civility recorded: both
    # The first address line already is the name: printed once.
    named = BUSINESS.replace("address: [8 place", "address: [ACME Industrie SAS, 8 place")
    ledger = ledger_of(make_ledger, {"clients/acme.yaml": named, "cases/2026/2026-0042.yaml": case})
    assert md(ledger, "2026-0042", "formal-notice").count("ACME Industrie SAS  \n") == 1


def test_pdf_prints_the_name_in_the_window(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00")
    ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case})
    pdf = letters.render(letters.letter_for_case(ledger, "2026-0042", DEMO_TODAY, "formal-notice"), "pdf")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    lines = positioned_lines(page)
    window = [t for t, (x, y) in lines if 100 <= x / MM <= 115 and 42 <= (float(page.mediabox.height) - y) / MM <= 70]
    assert window[:4] == [
        "ACME Industrie SAS",
        "À l'attention d'Agnès Roux, comptable",
        "8 place Bellecour",
        "69002 Lyon",
    ]


def positioned_lines(page: object) -> list[tuple[str, tuple[float, float]]]:
    found: list[tuple[str, tuple[float, float]]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            where = (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            found.append((" ".join(text.split()), where))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return found


def test_pdf_never_splits_the_bank_details_across_pages(make_ledger: LedgerFactory) -> None:
    """Letters of growing length (one invoice more each time) push the payment block down
    the first page and over the break: its IBAN, BIC and reference always land on one page."""
    seen_two_pages = False
    for count in range(6, 18):  # before the fix, 16 invoices left the IBAN on page 2 and the BIC on page 3
        invoices = "".join(
            f"  - {{number: F2026-{n:04d}, date: 2026-08-{n:02d}, due: 2026-09-{n:02d}, amount: 100.00}}\n"
            for n in range(1, count + 1)
        )
        case = f"id: 2026-0042\nclient: acme\ninvoices:\n{invoices}events: []\n"
        ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": case})
        pdf = letters.render(letters.letter_for_case(ledger, "2026-0042", DEMO_TODAY, "formal-notice"), "pdf")
        pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
        seen_two_pages |= len(pages) > 1
        iban = [i for i, text in enumerate(pages) if "FR76 1027 8073 4000 0204 1980 137" in text]
        bic = [i for i, text in enumerate(pages) if "CMCIFR2A" in text]
        assert len(iban) == 1 and iban == bic, f"{count} invoices: IBAN on pages {iban}, BIC on pages {bic}"
    assert seen_two_pages


def test_plan_agreement_pdf_has_signature_boxes(make_ledger: LedgerFactory, tmp_path: Path) -> None:
    files = {"cases/2026/2026-0042.yaml": PLAN.format(id="2026-0042", client="acme")}
    letter = letters.letter_for_case(ledger_of(make_ledger, files), "2026-0042", date(2026, 10, 1), "plan-agreement")
    html = letters.render(letter, "html").decode("utf-8")
    assert re.search(r'tr:last-child > td\[style\*="center"\] \{ height: 30mm;', html)
    assert len(re.findall(r'<td style="text-align: center;">Signature', html)) == 2


def test_a_receipt_before_the_letter_was_sent_is_an_error(make_ledger: LedgerFactory) -> None:
    case = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00").replace(
        "events: []", "events:\n  - {date: 2026-11-06, type: reminder, step: formal-notice, received: 2026-11-04}"
    )
    root = make_ledger({"relancegit.yaml": CONFIG, "clients/acme.yaml": BUSINESS, "cases/2026/2026-0042.yaml": case})
    result = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-11-23", "check"])
    assert result.exit_code == 1
    assert (
        "cases/2026/2026-0042.yaml:6:71: error: received on 2026-11-04, before the letter was sent (2026-11-06)"
    ) in result.stderr


def test_a_consolidated_letter_leaves_out_cases_with_nothing_overdue(make_ledger: LedgerFactory) -> None:
    overdue = UNPAID.format(id="2026-0042", client="acme", date="2026-09-01", due="2026-10-01", amount="1500.00")
    coming = UNPAID.format(id="2026-0050", client="acme", date="2026-10-28", due="2026-11-27", amount="800.00")
    ledger = ledger_of(make_ledger, {"cases/2026/2026-0042.yaml": overdue, "cases/2026/2026-0050.yaml": coming})
    letter = letters.letter_for_client(ledger, "acme", DEMO_TODAY)
    text = letters.render(letter, "md").decode("utf-8")
    assert letter.context.cases == ("2026-0042",)
    assert f"Référence{NBSP}: 2026-0042\n" in text and "2026-0050" not in text and "F2026-0050" not in text


def test_a_french_letter_to_an_address_abroad_gives_the_phone_in_international_form(make_ledger):
    """A French letter to a Belgian client: the creditor's number is dialled from abroad."""
    from click.testing import CliRunner

    from relancegit.cli import main
    from relancegit.letters.compose import abroad
    from relancegit.model import Client

    config = (
        "creditor:\n  name: Atelier Dupré SARL\n"
        "  address: [14 rue des Tanneurs, 69100 Villeurbanne]\n  phone: 01 99 00 12 40\n"
    )
    client = "id: acme\nname: Dubois SPRL\naddress: [Rue Haute 12, 1000 Bruxelles, Belgique]\n"
    root = make_ledger({"relancegit.yaml": config, "clients/acme.yaml": client})
    out = CliRunner().invoke(main, ["--ledger", str(root), "--today", "2026-10-20", "letter", "2026-0042"])
    assert out.exit_code == 0, out.output
    assert "+33 1 99 00 12 40" in out.stdout and "01 99 00 12 40" not in out.stdout
    assert abroad(Client(id="x", name="X", address=("8 place Bellecour", "69002 Lyon"))) is False
    assert abroad(Client(id="x", name="X", address=("8 place Bellecour", "69002 Lyon", "France"))) is False
