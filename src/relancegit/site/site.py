"""The static dashboard (`relancegit build`), written into one folder by `write_site`.

Layer: engine results -> HTML, CSS, JS and JSON files. Computes every case once
(`engine.state.compute_all`) and the portfolio once, renders the pages with the shared Jinja
environment (`templating.py`: the ledger's `templates/site/…` override the packaged ones),
and writes each file atomically, only when its bytes changed. Paths derived from ids are
checked to stay inside the output folder. Nothing here reads the clock or the environment:
`today` and the redaction key are passed in.

Which pages of the previous build can stay, and where the changed cases are rendered, is not
decided here: the site says what each page depends on (`Depends`) and asks a `Pages` object.
The default, `RenderAll`, keeps nothing and renders in this process; the command layer hands
in the incremental one (`speed.pages`), and nothing here imports `relancegit.speed`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from relancegit.engine.portfolio import BUCKETS, Portfolio, StepEffect, portfolio
from relancegit.engine.state import CaseState, compute_all, prescription_alerts
from relancegit.model import Ledger
from relancegit.render import formatting, templating, views
from relancegit.site import data, svg
from relancegit.site.casepages import CasePage, render_serially
from relancegit.site.labels import Words
from relancegit.site.redact import redact_ledger, redaction_key
from relancegit.site.timeline import FileCommit, case_commits, timeline
from relancegit.site.writer import MARKER, BuildResult, SiteWriter, prepare_output, safe_id

Progress = Callable[[int, int], None]

PAGE_SIZE = 200  # rows per static page of the case list (the script shows any number)
HOME_AGENDA_ROWS = 8  # actions per day on the home page; the rest is on agenda.html
AGENDA_PAGE_ROWS = 100  # actions per day on agenda.html (largest balances first); the rest: case list
_TONES = {"not_due": "muted", "1-30": "", "31-60": "warn", "61-90": "bad", "90+": "bad"}


# --- formatting for pages --------------------------------------------------------------------


def page_filters(language: str, currency: str) -> dict[str, Callable[..., Any]]:
    """Filters the site adds to the shared ones (money, date_long, date_short)."""
    locale = formatting.LOCALES.get(language, language)

    def pct(value: Decimal | float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + ("\u00a0%" if language == "fr" else "%")
        text: str = format_percent(Decimal(str(value)), pattern, locale=locale)
        return text.replace("\u00a0%", "\u202f%") if language == "fr" else text

    def number(value: int | Decimal | None) -> str:
        return "—" if value is None else str(format_decimal(value, locale=locale))

    def day_title(day: date) -> str:
        text: str = format_date(day, "EEEE d MMMM y", locale=locale)
        return text[:1].upper() + text[1:]

    def month(day: date, year: bool = True) -> str:
        text: str = format_date(day, "LLL y" if year else "LLL", locale=locale)
        return text

    def days(value: int | None) -> str:
        if value is None:
            return "—"
        return f"{value}\u00a0j" if language == "fr" else f"{value}\u00a0d"

    def money0(amount: Decimal | None) -> str:
        """Whole amounts for charts and key figures (`179 574 €`)."""
        if amount is None:
            return "—"
        text = formatting.money(amount.quantize(Decimal(1)), currency, language)
        return text.replace(",00", "").replace(".00", "")

    return {"pct": pct, "number": number, "day_title": day_title, "month": month, "days": days, "money0": money0}


# --- the build -------------------------------------------------------------------------------


@dataclass
class Site:
    """What every page may use: the ledger, the figures, words and helpers."""

    ledger: Ledger
    today: date
    states: list[CaseState]
    figures: Portfolio
    words: Words
    redacted: bool
    env: jinja2.Environment
    commits: dict[str, list[FileCommit]]
    clients: dict[str, data.ClientFigures]
    lexicon: views.Lexicon  # reasons and timeline lines in the ledger's language
    letters: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # case -> [(step, file)]

    def reason(self, state: CaseState) -> str:
        return views.reason(state, self.lexicon)

    def render(self, name: str, root: str, section: str, **context: Any) -> str:
        template = self.env.get_template(f"site/{name}")
        return template.render(
            root=root,
            section=section,
            w=self.words.ui,
            words=self.words,
            today=self.today,
            creditor=self.ledger.config.creditor.name,
            redacted=self.redacted,
            **context,
        )


# --- what each page depends on, and who decides what to keep --------------------------------
# A case page (and its letters) depends only on its case file, its client's file, the commits
# of its file and what every page depends on (the config, today, the options, the templates);
# a page of the case list on its cases, the status counts and the clients; a client page on
# the client's file and its cases' files.


@dataclass(frozen=True)
class Depends:
    """What a page depends on besides what every page does: files (their contents) and values;
    `pages` names pages whose inputs are this page's too (a list page shows its cases' rows)."""

    files: tuple[Path | None, ...] = ()
    values: tuple[object, ...] = ()
    pages: tuple[str, ...] = ()


Letters = list[tuple[str, str]]  # a case's letters in the site: (step, relative path)


class Pages(Protocol):
    """Which pages of the previous build stay, and where the changed cases are rendered."""

    def begin(self, writer: SiteWriter, common: Depends) -> None:
        """A build starts writing with `writer`; `common` is what every page depends on."""

    def keep_case(self, case_id: str, relative: str, depends: Depends) -> Letters | None:
        """The case's letters when its page and letters stay as they are, else None (render)."""

    def keep(self, relative: str, depends: Depends) -> bool:
        """Whether the page stays as it is (else it is rendered and written)."""

    def render_cases(
        self, site: Site, changed: list[CaseState], writer: SiteWriter, horizon: date, page: CasePage
    ) -> Iterator[int]:
        """Write the letters and pages of `changed`; yield how many cases each step finished."""

    def end(self, letters: dict[str, Letters]) -> None:
        """The build wrote every file (`letters`: each case's letters in the site)."""


class RenderAll:
    """Keeps nothing: every page rendered, in this process."""

    def begin(self, writer: SiteWriter, common: Depends) -> None:
        pass

    def keep_case(self, case_id: str, relative: str, depends: Depends) -> Letters | None:
        return None

    def keep(self, relative: str, depends: Depends) -> bool:
        return False

    def render_cases(
        self, site: Site, changed: list[CaseState], writer: SiteWriter, horizon: date, page: CasePage
    ) -> Iterator[int]:
        return render_serially(site, changed, writer, horizon, page)

    def end(self, letters: dict[str, Letters]) -> None:
        pass


def write_site(
    ledger: Ledger,
    today: date,
    out_dir: Path,
    redact: bool = False,
    progress: Progress | None = None,
    redact_key: str | None = None,
    pages: Pages | None = None,
) -> BuildResult:
    """Write the dashboard of `ledger` as of `today` into `out_dir` (see the module docstring);
    `pages` decides which pages of the previous build stay (default: none)."""
    keeper: Pages = pages if pages is not None else RenderAll()
    prepare_output(out_dir)
    commits = case_commits(ledger)
    if redact:
        # Commit messages and authors are free text: only the date and the commit id remain.
        commits = {cid: [FileCommit(c.sha, "", c.day, "") for c in found] for cid, found in commits.items()}
        key = redact_key.encode("utf-8") if redact_key else redaction_key(ledger, {})
        ledger = redact_ledger(ledger, key)
    for case_id in ledger.cases:
        safe_id(case_id)
    for client_id in ledger.clients:
        safe_id(client_id)

    states = compute_all(ledger, today)
    figures = portfolio(states, today)
    language = ledger.config.language
    bound = templating.bound_environment(ledger.root, language, ledger.config.currency)
    env = bound.overlay()  # page filters on a copy: the cached environment stays shared
    env.filters = {**bound.filters, **page_filters(language, ledger.config.currency)}
    site = Site(
        ledger=ledger,
        today=today,
        states=states,
        figures=figures,
        words=Words(language),
        redacted=redact,
        env=env,
        commits=commits,
        clients=data.client_figures(states, list(ledger.clients.values()), today),
        lexicon=Words(language).lexicon(ledger.config.currency),
    )
    writer = SiteWriter(out_dir)
    writer.write(MARKER, "relancegit dashboard: this folder is rewritten by `relancegit build`\n")

    list_pages = case_list_pages(states)
    total = 4 + len(list_pages) + len(states) + len(ledger.clients)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    common = Depends(
        files=(ledger.root / "relancegit.yaml",),
        values=(templating.templates_fingerprint(ledger.root), today, redact, redact_key),
    )
    keeper.begin(writer, common)
    changed = []
    for state in states:
        depends = Depends(
            files=(ledger.case_files.get(state.id), ledger.client_files.get(state.case.client)),
            values=(tuple(c.sha for c in commits.get(state.id, [])),),
        )
        kept_letters = keeper.keep_case(state.id, case_page_name(state.id), depends)
        if kept_letters is None:
            changed.append(state)
        else:
            site.letters[state.id] = kept_letters
    horizon = today + timedelta(days=data.AGENDA_DAYS)
    # The changed cases' letters and pages first (across the cores, if the keeper says so).
    for done_now in keeper.render_cases(site, changed, writer, horizon, case_page):
        done += done_now
        if progress is not None:
            progress(done, total)
    for name in ("style.css", "app.js"):
        writer.write(f"assets/{name}", asset_source(env, name))
    writer.write("data.json", data_json(states, figures, today, redact))
    writer.write("cases/cases.js", cases_script(site))
    writer.write("index.html", home_page(site))
    step()
    writer.write("agenda.html", agenda_page(site))
    step()
    writer.write("analytics.html", analytics_page(site))
    step()
    # A page of the case list shows its cases' rows, the status counts and the client filter:
    # a change to one case renders one or two pages of 200 again.
    client_files = tuple(ledger.client_files.get(cid) for cid in sorted(ledger.clients))
    counts = tuple(_status_counts(site))
    for number, chunk in enumerate(list_pages, start=1):
        relative = page_name(number)
        depends = Depends(
            files=client_files,
            values=(len(states), counts, number, len(list_pages)),
            pages=tuple(case_page_name(s.id) for s in chunk),
        )
        if not keeper.keep(relative, depends):
            writer.write(relative, cases_page(site, chunk, number, len(list_pages)))
        step()
    writer.write("clients/index.html", clients_page(site))
    step()
    for _ in range(len(states) - len(changed)):  # the unchanged case pages, kept
        step()
    case_files_of: dict[str, list[Path | None]] = {}
    for state in states:
        case_files_of.setdefault(state.case.client, []).append(ledger.case_files.get(state.id))
    for client_id in sorted(ledger.clients):
        relative = f"clients/{safe_id(client_id)}.html"
        depends = Depends(files=(ledger.client_files.get(client_id), *case_files_of.get(client_id, [])))
        if not keeper.keep(relative, depends):
            writer.write(relative, client_page(site, site.clients[client_id]))
        step()
    writer.remove_stale(["cases", "clients", "letters"])
    keeper.end(site.letters)
    return writer.result


def case_page_name(case_id: str) -> str:
    return f"cases/{safe_id(case_id)}.html"


def asset_source(env: jinja2.Environment, name: str) -> str:
    """A static asset from the template folders (a user's copy overrides the packaged one)."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, f"site/{name}")
    return source


def data_json(states: list[CaseState], figures: Portfolio, today: date, redacted: bool) -> str:
    """The `report` and `list` JSON of docs/commands.md, as the CLI prints them."""
    payload = {"today": today.isoformat(), "redacted": redacted, "report": views.report_json(figures)}
    # One case a line: readable and diffable, and each line is encoded by json's C encoder
    # (an indented dump goes through its pure-Python encoder, ten times slower).
    head = json.dumps(payload, ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in views.list_json(states))
    return _inert_json(f'{head}, "cases": [\n{lines}\n]}}') + "\n"


def _inert_json(text: str) -> str:
    """JSON whose strings can never open markup or close a script, wherever it is pasted
    (`<`, `>` and `&` only occur inside JSON strings, as the same characters escaped)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- pages -------------------------------------------------------------------------------------


def case_order(states: list[CaseState]) -> list[CaseState]:
    """Open cases by balance, largest first, then closed cases by id (newest first)."""
    return sorted(states, key=lambda s: (not s.is_open, -s.balance, _reverse_id(s.id)))


def _reverse_id(identifier: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in identifier)


def case_list_pages(states: list[CaseState]) -> list[list[CaseState]]:
    ordered = case_order(states)
    return [ordered[i : i + PAGE_SIZE] for i in range(0, len(ordered), PAGE_SIZE)] or [[]]


def page_name(number: int) -> str:
    return "cases/index.html" if number == 1 else f"cases/page-{number}.html"


def home_page(site: Site) -> str:
    figures, w = site.figures, site.words
    money0 = site.env.filters["money0"]
    aging = svg.hbars(
        [svg.Bar(w.ui["aging"][b], figures.aging[b], money0(figures.aging[b]), _TONES[b]) for b in BUCKETS],
        title=w.ui["aging"]["title"],
        desc=w.ui["aging"]["desc"],
    )
    agenda = data.agenda_by_day(site.states, site.today)
    return site.render(
        "index.html.j2",
        "",
        "home",
        figures=figures,
        overdue_share=data.share(figures.overdue, figures.outstanding),
        aging_chart=aging,
        agenda=agenda,
        agenda_rows=HOME_AGENDA_ROWS,
        actions=sum(len(day.states) for day in agenda),
        top=[
            (e, site.ledger.clients[e.client], data.share(e.exposure, figures.outstanding))
            for e in data.top_debtors(figures)
        ],
        breaches=[(e, site.ledger.clients[e.client]) for e in data.limit_breaches(figures)],
        prescriptions=prescription_alerts(site.states, site.today),
        action_label=lambda s: _action_label(site, s),
        reason=site.reason,
    )


def agenda_page(site: Site) -> str:
    return site.render(
        "agenda.html.j2",
        "",
        "home",
        agenda=data.agenda_by_day(site.states, site.today),
        agenda_rows=AGENDA_PAGE_ROWS,
        action_label=lambda s: _action_label(site, s),
        reason=site.reason,
    )


def _action_label(site: Site, state: CaseState) -> str:
    action = state.next_action
    return site.words.action(action.kind, action.step) if action is not None else ""


def _status_counts(site: Site) -> list[tuple[str, int]]:
    return [(key, total.count) for key, total in site.figures.by_status.items() if total.count]


def cases_page(site: Site, chunk: list[CaseState], number: int, pages: int) -> str:
    statuses = [(key, site.words.status(key), count) for key, count in _status_counts(site)]
    clients = sorted(((c.id, c.name) for c in site.ledger.clients.values()), key=lambda c: c[1].lower())
    return site.render(
        "cases.html.j2",
        "../",
        "cases",
        rows=chunk,
        number=number,
        pages=pages,
        page_name=lambda n: page_name(n).removeprefix("cases/"),
        total=len(site.states),
        statuses=statuses,
        clients=clients,
        action_label=lambda s: _action_label(site, s),
    )


def cases_script(site: Site) -> str:
    """Every case as compact rows for the case list's script (filter, sort and search over all
    cases, not only the page shown without JavaScript)."""
    money, date_short = site.env.filters["money"], site.env.filters["date_short"]
    rows = []
    for s in case_order(site.states):
        action = s.next_action
        rows.append(
            [
                s.id,
                s.case.client,
                s.client.name,
                s.status.value,
                site.words.status(s.status.value),
                float(s.balance),
                money(s.balance),
                s.days_overdue,
                action.date.isoformat() if action else "",
                date_short(action.date) if action else "",
                _action_label(site, s),
                site.words.channel(action.channel.value if action and action.channel else None),
                bool(action and action.is_due(site.today)),
                " ".join(inv.number for inv in s.case.invoices),
            ]
        )
    text = _inert_json(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
    return f"window.RG_CASES={text};\n"


def case_page(site: Site, state: CaseState) -> str:
    rows = timeline(state.case.events, site.commits.get(state.id, []), site.today, site.lexicon)
    return site.render(
        "case.html.j2",
        "../",
        "cases",
        s=state,
        timeline=rows,
        interest_of=lambda number: p.interest if (p := state.penalties.for_invoice(number)) else None,
        action_label=_action_label(site, state),
        reason=site.reason(state),
        letters=site.letters.get(state.id, []),
    )


def clients_page(site: Site) -> str:
    rows = sorted(site.clients.values(), key=lambda c: (-c.exposure, c.client.name.lower()))
    return site.render("clients.html.j2", "../", "clients", rows=rows)


def client_page(site: Site, figures: data.ClientFigures) -> str:
    money = site.env.filters["money"]
    words = site.words.ui
    limit = figures.credit_limit
    chart = svg.gauge(
        figures.exposure,
        limit,
        title=words["client"]["exposure"],
        value_text=money(figures.exposure),
        limit_text=f"{words['cols']['limit']} {money(limit)}" if limit is not None else words["client"]["no_limit"],
    )
    return site.render(
        "client.html.j2",
        "../",
        "clients",
        c=figures,
        client=figures.client,
        gauge=chart,
        action_label=lambda s: _action_label(site, s),
    )


def analytics_page(site: Site) -> str:
    figures, w = site.figures, site.words
    pct = site.env.filters["pct"]
    month = site.env.filters["month"]

    def rate(paid: int, count: int) -> Decimal | None:
        return (Decimal(paid) / count) if count else None

    def tone(value: Decimal | None) -> str:
        if value is None:
            return "muted"
        return "good" if value >= Decimal("0.3") else ("" if value >= Decimal("0.15") else "warn")

    def bars(effects: Iterable[StepEffect], label: Callable[[StepEffect], str]) -> list[svg.Bar]:
        """Share of actions followed by a payment within 14 days, one bar per step or channel."""
        found = []
        for e in effects:
            value = rate(e.paid_within_14d, e.count)
            found.append(svg.Bar(label(e), value, pct(value, 0), tone(value)))
        return found

    step_bars = bars(figures.steps, lambda e: w.step(e.step))
    channel_bars = bars(figures.channels, lambda e: w.channel(e.channel))
    letter = "Q" if w.language == "en" else "T"
    quarters = data.recovery_by_quarter(site.states, site.today, letter=letter)
    months = data.dso_by_month(site.states, figures)
    ui = w.ui["analytics"]
    recovery_chart = svg.columns(
        [svg.Bar("\n".join(reversed(q.label.split("-"))), q.value, pct(q.value, 0), "good") for q in quarters],
        title=ui["recovery"],
        desc=ui["recovery_desc"],
        ceiling=1.0,
    )
    dso_chart = svg.columns(
        [
            svg.Bar(
                month(m.end, False) + (f"\n{m.end.year}" if i == 0 or m.end.month == 1 else ""),
                m.value,
                str(m.value) if m.value is not None else "—",
            )
            for i, m in enumerate(months)
        ],
        title=ui["dso"],
        desc=ui["dso_desc"],
    )
    return site.render(
        "analytics.html.j2",
        "",
        "analytics",
        figures=figures,
        steps_chart=svg.hbars(step_bars, title=ui["steps"], desc=ui["steps_desc"]) if step_bars else Markup(""),
        channels_chart=svg.hbars(channel_bars, title=ui["channels"], desc=ui["steps_desc"])
        if channel_bars
        else Markup(""),
        recovery_chart=recovery_chart,
        dso_chart=dso_chart,
        quarters=quarters,
        months=months,
        rate=rate,
        late=data.recurring_late(site.states, figures),
        statuses=[(key, w.status(key), total) for key, total in figures.by_status.items() if total.count],
    )
