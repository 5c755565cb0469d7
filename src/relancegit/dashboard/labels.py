"""The words of the dashboard, in French (the ledger's usual language) and English.

Layer: presentation data. French labels for statuses, steps and channels come from
`views.py` (one vocabulary for the terminal and the site); English ones live here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from relancegit import formatting, views
from relancegit.engine.schedule import ActionKind

FR: dict[str, Any] = {
    "lang": "fr",
    "site": "Recouvrement",
    "skip": "Aller au contenu",
    "nav": {"home": "Tableau de bord", "cases": "Dossiers", "clients": "Clients", "analytics": "Analyses"},
    "as_of": "au",
    "generated": "Situation au",
    "redacted": "Version publiable : noms, contacts, adresses et notes remplacés par des pseudonymes.",
    "kpi": {
        "outstanding": "Encours",
        "overdue": "Échu",
        "dso": "DSO",
        "recovery": "Taux de recouvrement",
        "outstanding_help": "Soldes ouverts, échus ou non",
        "overdue_help": "dont {share} échu",
        "dso_help": "Délai moyen d'encaissement (90 derniers jours)",
        "recovery_help": "Encaissé sur les factures échues ces 12 derniers mois",
        "days": "j",
    },
    "aging": {
        "title": "Ancienneté des créances",
        "desc": "Montants restant dus, par jours de retard",
        "not_due": "Non échu",
        "1-30": "1 à 30 j",
        "31-60": "31 à 60 j",
        "61-90": "61 à 90 j",
        "90+": "Plus de 90 j",
    },
    "agenda": {
        "title": "Agenda des 14 prochains jours",
        "late": "En retard",
        "today": "Aujourd'hui",
        "empty": "Rien de prévu sur les 14 prochains jours.",
        "more": "{n} autres actions ce jour-là",
        "all": "Tout l'agenda",
        "full_title": "Agenda complet des 14 prochains jours",
    },
    "top": {"title": "Principaux débiteurs", "share": "Part de l'encours"},
    "breaches": {"title": "Dépassements de plafond", "empty": "Aucun client au-dessus de son plafond de crédit."},
    "prescription": {"title": "Prescriptions proches", "text": "prescription le {date} : agir avant"},
    "cols": {
        "case": "Dossier",
        "client": "Client",
        "balance": "Solde",
        "late": "Retard",
        "status": "Statut",
        "next": "Prochaine action",
        "action": "Action",
        "channel": "Canal",
        "reason": "Motif",
        "date": "Date",
        "number": "Facture",
        "issued": "Émise le",
        "due": "Échéance",
        "amount": "Montant",
        "remaining": "Reste dû",
        "interest": "Intérêts",
        "exposure": "Encours",
        "limit": "Plafond",
        "usage": "Utilisation",
        "cases": "Dossiers",
        "open_cases": "Ouverts",
        "avg_late": "Retard moyen",
        "on_time": "Payé à l'échéance",
        "behaviour": "Comportement",
        "event": "Événement",
        "note": "Note",
        "step": "Étape",
        "actions": "Actions",
        "paid14": "Payé sous 14 j",
        "rate14": "Taux",
        "median": "Délai médian",
        "late_cases": "Dossiers à plus de 30 j",
        "quarter": "Trimestre",
        "month": "Mois",
        "rate": "Taux",
        "count": "Nombre",
    },
    "cases": {
        "title": "Dossiers",
        "filters": "Filtrer les dossiers",
        "status": "Statut",
        "client": "Client",
        "search": "Rechercher",
        "search_hint": "numéro, client, facture…",
        "all": "Tous",
        "shown": "{n} dossiers affichés sur {total}",
        "page": "Page {n} sur {total}",
        "prev": "Page précédente",
        "next": "Page suivante",
        "more": "Afficher plus",
        "caption": "Tous les dossiers, par solde décroissant",
        "sort_hint": "Cliquer sur un en-tête pour trier.",
        "none": "Aucun dossier ne correspond.",
        "by_status": "Dossiers par statut",
    },
    "case": {
        "title": "Dossier {id}",
        "summary": "Synthèse",
        "total": "Total facturé",
        "paid": "Payé",
        "credited": "Avoirs",
        "written_off": "Passé en perte",
        "balance": "Solde",
        "due": "Échéance de référence",
        "days_late": "{n} j de retard",
        "invoices": "Factures",
        "penalties": "Pénalités (non ajoutées au solde)",
        "interest": "Intérêts de retard",
        "interest_consumer": "Intérêts au taux légal depuis la mise en demeure",
        "indemnity": "Indemnité forfaitaire de recouvrement",
        "no_indemnity": "Aucune (consommateur)",
        "unknown_rate": "inconnus (taux manquant : {periods})",
        "next": "Prochaine action",
        "none": "Aucune : dossier clos.",
        "due_now": "à faire",
        "deadlines": "Délais",
        "prescription": "Prescription",
        "escalation": "Seuil d'escalade",
        "formal_notice": "Fin du délai de la mise en demeure",
        "timeline": "Historique",
        "timeline_caption": "Événements du dossier et commits git qui l'ont modifié",
        "git": "commit",
        "git_redacted": "modification enregistrée",
        "future": "à venir, ignoré",
        "no_events": "Aucun événement.",
        "letters": "Lettres",
        "no_letters": "Aucune lettre rendue pour ce dossier.",
        "back": "Tous les dossiers",
    },
    "clients": {
        "title": "Clients",
        "caption": "Encours par client, face au plafond de crédit",
        "over": "dépassé",
        "none": "—",
    },
    "client": {
        "title": "{name}",
        "exposure": "Encours et plafond",
        "cases": "Dossiers du client",
        "behaviour": "Comportement de paiement",
        "avg_late": "Retard moyen",
        "on_time": "Factures payées à l'échéance",
        "broken": "Promesses non tenues",
        "disputes": "Litiges",
        "contact": "Contact",
        "relationship": "Relation",
        "no_limit": "Pas de plafond de crédit",
        "over_by": "Plafond dépassé de {amount}",
        "under_by": "Marge disponible : {amount}",
    },
    "behaviour": {
        "none": "pas encore d'historique",
        "good": "ponctuel",
        "fair": "retards modérés",
        "poor": "retards importants",
    },
    "relationship": {"loyal": "fidèle", "standard": "standard", "difficult": "difficile"},
    "analytics": {
        "title": "Analyses",
        "steps": "Quelles relances mènent au paiement",
        "steps_desc": "Part des actions suivies d'un paiement sous 14 jours",
        "channels": "Par canal",
        "recovery": "Taux de recouvrement par trimestre d'échéance",
        "recovery_desc": "Encaissé ÷ (encaissé + passé en perte + encore échu), factures échues dans le trimestre",
        "dso": "DSO par mois, sur 12 mois",
        "dso_desc": "Encours en fin de mois ÷ facturé sur les 90 jours précédents × 90",
        "late": "Clients en retard récurrent",
        "late_desc": "Clients ayant au moins deux dossiers restés impayés plus de 30 jours après l'échéance",
        "late_empty": "Aucun client en retard récurrent.",
        "status": "Répartition par statut",
        "all_channels": "tous",
        "all_steps": "Toutes les étapes",
    },
    "none": "—",
    "footer": "Généré par relancegit. Aucun contenu externe, aucun traceur.",
    "data": "Données (JSON)",
    "figures": "Voir les chiffres",
}

EN: dict[str, Any] = {
    "lang": "en",
    "site": "Collections",
    "skip": "Skip to content",
    "nav": {"home": "Dashboard", "cases": "Cases", "clients": "Clients", "analytics": "Analytics"},
    "as_of": "as of",
    "generated": "As of",
    "redacted": "Public version: names, contacts, addresses and notes replaced by pseudonyms.",
    "kpi": {
        "outstanding": "Outstanding",
        "overdue": "Overdue",
        "dso": "DSO",
        "recovery": "Recovery rate",
        "outstanding_help": "Open balances, due or not",
        "overdue_help": "{share} of it overdue",
        "dso_help": "Days sales outstanding (last 90 days)",
        "recovery_help": "Collected on invoices due in the last 12 months",
        "days": "d",
    },
    "aging": {
        "title": "Aging of receivables",
        "desc": "Amounts still owed, by days past due",
        "not_due": "Not due",
        "1-30": "1–30 d",
        "31-60": "31–60 d",
        "61-90": "61–90 d",
        "90+": "Over 90 d",
    },
    "agenda": {
        "title": "Agenda for the next 14 days",
        "late": "Late",
        "today": "Today",
        "empty": "Nothing planned in the next 14 days.",
        "more": "{n} more actions that day",
        "all": "Full agenda",
        "full_title": "Full agenda for the next 14 days",
    },
    "top": {"title": "Top debtors", "share": "Share of outstanding"},
    "breaches": {"title": "Credit limit breaches", "empty": "No client above its credit limit."},
    "prescription": {"title": "Limitation periods ending soon", "text": "time-barred on {date}: act before"},
    "cols": {
        "case": "Case",
        "client": "Client",
        "balance": "Balance",
        "late": "Late",
        "status": "Status",
        "next": "Next action",
        "action": "Action",
        "channel": "Channel",
        "reason": "Reason",
        "date": "Date",
        "number": "Invoice",
        "issued": "Issued",
        "due": "Due",
        "amount": "Amount",
        "remaining": "Remaining",
        "interest": "Interest",
        "exposure": "Exposure",
        "limit": "Limit",
        "usage": "Usage",
        "cases": "Cases",
        "open_cases": "Open",
        "avg_late": "Average delay",
        "on_time": "Paid on time",
        "behaviour": "Behaviour",
        "event": "Event",
        "note": "Note",
        "step": "Step",
        "actions": "Actions",
        "paid14": "Paid within 14 d",
        "rate14": "Rate",
        "median": "Median delay",
        "late_cases": "Cases over 30 d",
        "quarter": "Quarter",
        "month": "Month",
        "rate": "Rate",
        "count": "Count",
    },
    "cases": {
        "title": "Cases",
        "filters": "Filter cases",
        "status": "Status",
        "client": "Client",
        "search": "Search",
        "search_hint": "case, client, invoice…",
        "all": "All",
        "shown": "{n} cases shown of {total}",
        "page": "Page {n} of {total}",
        "prev": "Previous page",
        "next": "Next page",
        "more": "Show more",
        "caption": "All cases, largest balance first",
        "sort_hint": "Click a column header to sort.",
        "none": "No case matches.",
        "by_status": "Cases by status",
    },
    "case": {
        "title": "Case {id}",
        "summary": "Summary",
        "total": "Total invoiced",
        "paid": "Paid",
        "credited": "Credit notes",
        "written_off": "Written off",
        "balance": "Balance",
        "due": "Reference due date",
        "days_late": "{n} days late",
        "invoices": "Invoices",
        "penalties": "Penalties (not added to the balance)",
        "interest": "Late-payment interest",
        "interest_consumer": "Legal interest since the formal notice",
        "indemnity": "Fixed recovery indemnity",
        "no_indemnity": "None (consumer)",
        "unknown_rate": "unknown (missing rate: {periods})",
        "next": "Next action",
        "none": "None: case closed.",
        "due_now": "due",
        "deadlines": "Deadlines",
        "prescription": "Limitation period ends",
        "escalation": "Escalation threshold",
        "formal_notice": "Formal notice deadline",
        "timeline": "History",
        "timeline_caption": "Events of the case and the git commits that changed it",
        "git": "commit",
        "git_redacted": "change recorded",
        "future": "future, ignored",
        "no_events": "No event.",
        "letters": "Letters",
        "no_letters": "No letter rendered for this case.",
        "back": "All cases",
    },
    "clients": {
        "title": "Clients",
        "caption": "Exposure per client against its credit limit",
        "over": "over",
        "none": "—",
    },
    "client": {
        "title": "{name}",
        "exposure": "Exposure and credit limit",
        "cases": "Cases of this client",
        "behaviour": "Payment behaviour",
        "avg_late": "Average delay",
        "on_time": "Invoices paid on time",
        "broken": "Broken promises",
        "disputes": "Disputes",
        "contact": "Contact",
        "relationship": "Relationship",
        "no_limit": "No credit limit",
        "over_by": "Limit exceeded by {amount}",
        "under_by": "Headroom: {amount}",
    },
    "behaviour": {"none": "no history yet", "good": "on time", "fair": "some delays", "poor": "long delays"},
    "relationship": {"loyal": "loyal", "standard": "standard", "difficult": "difficult"},
    "analytics": {
        "title": "Analytics",
        "steps": "Which actions lead to payment",
        "steps_desc": "Share of actions followed by a payment within 14 days",
        "channels": "By channel",
        "recovery": "Recovery rate by quarter of due date",
        "recovery_desc": "Collected ÷ (collected + written off + still overdue), invoices due in the quarter",
        "dso": "DSO by month, last 12 months",
        "dso_desc": "Outstanding at month end ÷ invoiced in the previous 90 days × 90",
        "late": "Recurring late clients",
        "late_desc": "Clients with two or more cases left unpaid over 30 days past due",
        "late_empty": "No recurring late client.",
        "status": "Cases by status",
        "all_channels": "all",
        "all_steps": "All steps",
    },
    "none": "—",
    "footer": "Built by relancegit. No external content, no tracker.",
    "data": "Data (JSON)",
    "figures": "Show the figures",
}

STATUS_EN = {
    "written-off": "written off",
    "paid": "paid",
    "escalated": "escalated",
    "disputed": "disputed",
    "paused": "paused",
    "plan": "payment plan",
    "promised": "promised",
    "overdue": "overdue",
    "upcoming": "not yet due",
}
STEP_EN = {
    "pre-due": "pre-due reminder",
    "reminder-1": "first reminder",
    "reminder-2": "second reminder",
    "reminder-3": "third reminder",
    "call": "phone call",
    "letter": "reminder letter",
    "formal-notice": "formal notice",
    "escalate": "hand-over",
}
CHANNEL_EN = {
    "email": "e-mail",
    "sms": "SMS",
    "phone": "phone",
    "letter": "letter",
    "registered-letter": "registered letter",
    "handover": "hand-over",
}
KIND_EN = {
    ActionKind.STEP: "step",
    ActionKind.PROMISE_CHECK: "check the promise",
    ActionKind.PROMISE_BROKEN: "promise broken",
    ActionKind.PLAN_CHECK: "check the installment",
    ActionKind.PLAN_BROKEN: "payment plan broken",
    ActionKind.DISPUTE_REVIEW: "review the dispute",
    ActionKind.ESCALATION_FOLLOWUP: "follow-up",
}


HANDOVER_EN = {"agency": "collection agency", "lawyer": "lawyer", "court": "court"}
OUTCOME_EN = {"reached": "reached", "no-answer": "no answer", "voicemail": "voicemail left"}
ENGLISH_PHRASES = {
    "promise_check": "promise of {made}: {amount} by {due}",
    "promise_broken": "promise of {made} broken ({amount} expected on {due})",
    "plan_check": "payment plan installment of {due} ({amount})",
    "plan_broken": "payment plan of {made} broken{detail}",
    "plan_missed": " (installment of {due} unpaid)",
    "dispute_review": "dispute of {made} to review: {reason}",
    "escalated": "follow up the case handed over ({to}) on {made}",
    "all_done": "every step is done: take stock{last}",
    "last_contact": ", last contact on {day}",
    "paused": " (paused until {day})",
    "step_offset": "{label}: D{offset}",
    "min_gap": " ({days} d after the contact of {day})",
    "after_promise": " (after the promise kept on {day})",
    "after_pause": " (after the pause until {day})",
    "via": " ({channel})",
    "received": ", received on {day}",
    "call": "call: {outcome}{step}",
    "call_step": ", {step}",
    "promise": "promise: {amount} by {due}",
    "payment": "payment {amount}{target}{ref}",
    "payment_target": " on {invoice}",
    "ref": " ({ref})",
    "credit_note": "credit note{number} {amount}",
    "plan": "payment plan: {count} installment{plural}{signed}",
    "plan_signed": ", signed",
    "dispute": "dispute: {reason}",
    "dispute_resolved": "dispute resolved",
    "pause": "paused until {until}",
    "escalation": "handed over: {to}{ref}",
    "write_off": "written off: {reason}",
    "acknowledgement": "acknowledgement of debt",
    "note": "note",
    "void": "event {event} voided: {reason}",
    "title": "enforceable title: {kind}{court}{ref}",
    "title_kinds": "enforceable order to pay|judgment|other title",
    "voided": "voided on {day}: {reason}",
}
assert ENGLISH_PHRASES.keys() == views.FRENCH_PHRASES.keys()


class Words:
    """Labels of one language, with the domain vocabularies as methods."""

    def __init__(self, language: str) -> None:
        self.language = "en" if language == "en" else "fr"
        self.ui: dict[str, Any] = EN if self.language == "en" else FR

    def status(self, status: str) -> str:
        if self.language == "en":
            return STATUS_EN.get(status, status)
        return next((label for s, label in views.STATUS_LABELS.items() if s.value == status), status)

    def step(self, step: str | None) -> str:
        if not step:
            return ""
        if step == "*":
            return str(self.ui["analytics"]["all_channels"])
        if self.language == "en":
            return STEP_EN.get(step, step)
        return views.step_label(step)

    def channel(self, channel: str | None) -> str:
        if not channel:
            return ""
        return CHANNEL_EN.get(channel, channel) if self.language == "en" else views.channel_label(channel)

    def lexicon(self, currency: str) -> views.Lexicon:
        """Reasons and timeline lines in this language, amounts in the ledger's currency."""
        if self.language == "fr":
            return replace(views.FRENCH, money=lambda amount: formatting.money(amount, currency, "fr"))
        return views.Lexicon(
            step=lambda step: STEP_EN.get(step, step),
            channel=lambda channel: CHANNEL_EN.get(channel or "", channel or ""),
            kinds=KIND_EN,
            handovers=HANDOVER_EN,
            outcomes=OUTCOME_EN,
            phrases=ENGLISH_PHRASES,
            money=lambda amount: formatting.money(amount, currency, "en"),
        )

    def action(self, kind: ActionKind, step: str | None) -> str:
        if self.language == "fr":
            if kind == ActionKind.STEP and step:
                return views.step_label(step)
            if kind == ActionKind.PLAN_BROKEN and step:
                return f"{views.KIND_LABELS[kind]} : {views.step_label(step)}"
            return views.KIND_LABELS[kind]
        if kind == ActionKind.STEP and step:
            return self.step(step)
        if kind == ActionKind.PLAN_BROKEN and step:
            return f"{KIND_EN[kind]}: {self.step(step)}"
        return KIND_EN[kind]
