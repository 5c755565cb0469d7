"""Deterministic generator of realistic ledgers for the benchmark.

`python bench/generate.py N DIR [--today 2026-11-23] [--seed 1]` writes DIR/ledger/ with N
cases over N/20 clients, in sub-folders by year, with a realistic mix of scenarios: paid
before or after reminders, promises kept and broken, payment plans, disputes, pauses,
escalations, write-offs, overdue cases at every dunning step and upcoming invoices. Every
generated ledger is valid (`relancegit check` finds no error), so timings measure real work.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

CONFIG = """\
creditor:
  name: Banc d'Essai SAS
  address: [1 place du Banc, 69001 Lyon]
  siren: "552100554"
  iban: FR7630006000011234567890189
  bic: AGRIFRPP
  signatory: Camille Test, présidente
rates:  # benchmark figures for the half-years after the shipped table
  - {period: 2026-H2, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
  - {period: 2027-H1, ecb: 2.15, legal_other: 2.62, legal_private: 6.67}
"""

FIRMS = ["Industrie", "Bâtiment", "Conseil", "Transports", "Menuiserie", "Informatique", "Design", "Imprimerie"]
FORMS = ["SARL", "SAS", "SA", "EURL"]
CITIES = ["69007 Lyon", "75011 Paris", "13002 Marseille", "33000 Bordeaux", "59000 Lille", "44000 Nantes"]
STEPS = [("reminder-1", 1), ("reminder-2", 8), ("call", 15), ("letter", 30), ("formal-notice", 45)]


def money(value: Decimal) -> str:
    return f"{value:.2f}"


class CaseWriter:
    """One case's invoices and events, kept consistent (order, gaps, amounts)."""

    def __init__(self, rng: random.Random, today: date, case_id: str, client: str, consumer: bool) -> None:
        self.rng, self.today, self.id, self.client, self.consumer = rng, today, case_id, client, consumer
        self.invoices: list[tuple[str, date, date, Decimal]] = []
        self.events: list[str] = []
        self.last = date.min

    def invoice(self, number: str, issued: date, term: int, amount: Decimal) -> None:
        self.invoices.append((number, issued, issued + timedelta(days=term), amount))

    @property
    def total(self) -> Decimal:
        return sum((i[3] for i in self.invoices), Decimal(0))

    @property
    def due(self) -> date:
        return min(i[2] for i in self.invoices)

    def event(self, day: date, text: str) -> bool:
        """Append `{date: day, text}` if it keeps the log in order and not after today."""
        day = max(day, self.last)
        if day > self.today:
            return False
        self.events.append(f"  - {{date: {day}, {text}}}")
        self.last = day
        return True

    def dunning(self, upto: int) -> date:
        """Reminders of the default policy up to step index `upto`, 5+ days apart."""
        for step, offset in STEPS[:upto]:
            day = max(self.due + timedelta(days=offset), self.last + timedelta(days=5))
            if step == "call":
                self.event(day, f'type: call, outcome: reached, step: call, note: "Rappel, {self.rng.choice(NOTES)}"')
            elif not self.event(day, f"type: reminder, step: {step}, channel: email"):
                break
        return self.last if self.events else self.due  # nothing sent yet: never date.min (year 1)

    def text(self) -> str:
        lines = [f"id: {self.id}", f"client: {self.client}", "invoices:"]
        for number, issued, due, amount in self.invoices:
            net = (amount / Decimal("1.2")).quantize(Decimal("0.01"))
            lines += [f"  - number: {number}", f"    date: {issued}", f"    due: {due}", f"    amount: {money(amount)}"]
            lines.append(f"    net: {money(net)}")
        lines.append("events:" if self.events else "events: []")
        lines += self.events
        return "\n".join(lines) + "\n"


NOTES = ["trésorerie tendue", "facture transmise au service comptable", "attend un virement client", "OK pour régler"]


def paid_early(c: CaseWriter) -> None:
    c.event(c.due - timedelta(days=5), "type: reminder, step: pre-due, channel: email")
    c.event(c.due - timedelta(days=1), f'type: payment, amount: {money(c.total)}, ref: "VIR {c.id}"')


def paid_after_reminders(c: CaseWriter) -> None:
    last = c.dunning(c.rng.randint(1, 3))
    c.event(last + timedelta(days=c.rng.randint(2, 12)), f'type: payment, amount: {money(c.total)}, ref: "VIR {c.id}"')


def promise(c: CaseWriter) -> None:
    last = c.dunning(2)
    half = (c.total / 2).quantize(Decimal("0.01"))
    c.event(last + timedelta(days=3), f"type: promise, amount: {money(half)}, due: {last + timedelta(days=17)}")
    if c.rng.random() < 0.6:
        c.event(last + timedelta(days=16), f"type: payment, amount: {money(half)}")


def plan(c: CaseWriter) -> None:
    last = c.dunning(3)
    parts = 3
    share = (c.total / parts).quantize(Decimal("0.01"))
    amounts = [share] * (parts - 1) + [c.total - share * (parts - 1)]
    start = last + timedelta(days=5)
    if start > c.today:
        return
    lines = ", ".join(
        f"{{due: {start + timedelta(days=30 * (i + 1))}, amount: {money(a)}}}" for i, a in enumerate(amounts)
    )
    c.event(start, f"type: plan, signed: true, installments: [{lines}]")
    for i, amount in enumerate(amounts):
        if c.rng.random() < 0.85:
            c.event(start + timedelta(days=30 * (i + 1) - 1), f"type: payment, amount: {money(amount)}")


def dispute(c: CaseWriter) -> None:
    last = c.dunning(1)
    c.event(
        last + timedelta(days=4), f'type: dispute, reason: "Quantité livrée contestée", invoice: {c.invoices[0][0]}'
    )
    if c.rng.random() < 0.5:
        c.event(last + timedelta(days=20), "type: credit-note, amount: 50.00, note: avoir")
        c.event(last + timedelta(days=21), "type: dispute-resolved")


def pause(c: CaseWriter) -> None:
    last = c.dunning(2)
    start = last + timedelta(days=2)
    c.event(start, f"type: pause, until: {max(start, c.today + timedelta(days=c.rng.randint(-20, 30)))}")


def escalated(c: CaseWriter) -> None:
    last = c.dunning(5)
    c.event(last + timedelta(days=16), f'type: escalation, to: {c.rng.choice(["agency", "lawyer"])}, ref: "DOS-{c.id}"')


def written_off(c: CaseWriter) -> None:
    last = c.dunning(4)
    c.event(last + timedelta(days=30), 'type: write-off, reason: "Liquidation judiciaire du débiteur"')


def overdue(c: CaseWriter) -> None:
    last = c.dunning(c.rng.randint(0, 5))
    if c.rng.random() < 0.3:
        c.event(last + timedelta(days=1), f"type: payment, amount: {money((c.total / 3).quantize(Decimal('0.01')))}")


SCENARIOS: list[tuple[float, Callable[[CaseWriter], None]]] = [
    (0.25, paid_early),
    (0.20, paid_after_reminders),
    (0.08, promise),
    (0.06, plan),
    (0.04, dispute),
    (0.03, pause),
    (0.03, escalated),
    (0.02, written_off),
    (0.29, overdue),
]


def generate(n: int, target: Path, today: date, seed: int = 1) -> Path:
    rng = random.Random(seed)
    root = target / "ledger"
    (root / "clients").mkdir(parents=True, exist_ok=True)
    (root / "relancegit.yaml").write_text(CONFIG, encoding="utf-8")
    n_clients = max(1, n // 20)
    consumers = set()
    for i in range(n_clients):
        consumer = rng.random() < 0.1
        if consumer:
            consumers.add(i)
        name = f"Jeanne Martin-{i}" if consumer else f"{rng.choice(FIRMS)} {i} {rng.choice(FORMS)}"
        kind = "consumer" if consumer else "business"
        relationship = rng.choice(["loyal", "standard", "standard", "difficult"])
        (root / "clients" / f"client-{i:05d}.yaml").write_text(
            f"id: client-{i:05d}\nname: {name}\ntype: {kind}\nrelationship: {relationship}\n"
            f"address: [{rng.randint(1, 99)} rue du Test, {rng.choice(CITIES)}]\n"
            f"contacts:\n  - {{name: Service comptable, email: compta{i}@client.example}}\n",
            encoding="utf-8",
        )
    weights = [w for w, _ in SCENARIOS]
    for k in range(n):
        issued = today - timedelta(days=rng.randint(-10, 540))
        year = issued.year
        case_id = f"{year}-{k:06d}"
        client = rng.randrange(n_clients)
        case = CaseWriter(rng, today, case_id, f"client-{client:05d}", client in consumers)
        for j in range(1 if rng.random() < 0.8 else rng.randint(2, 3)):
            amount = Decimal(rng.randint(12000, 2_400_000)) / 100
            case.invoice(f"F{case_id}-{j}", issued + timedelta(days=7 * j), rng.choice([30, 30, 45, 60]), amount)
        scenario = rng.choices([s for _, s in SCENARIOS], weights)[0]
        if issued + timedelta(days=30) <= today:
            scenario(case)
        folder = root / "cases" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{case_id}.yaml").write_text(case.text(), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of cases")
    parser.add_argument("target", type=Path, help="folder to write ledger/ into")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.n, args.target, args.today, args.seed)


if __name__ == "__main__":
    main()
