"""The one Jinja environment of relancegit, for letters and the dashboard.

Layer: rendering infrastructure. Templates are looked up first in the ledger repository's
`templates/` folder (the user's overrides), then in the packaged ones. Undefined variables
are errors (`StrictUndefined`), HTML is autoescaped, and ledger values are only ever passed as
*data* to templates, never compiled as template code.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from relancegit.files import packaged_dir
from relancegit.render import formatting
from relancegit.words import VOCABULARIES


def user_templates_dir(ledger_root: Path | None) -> Path | None:
    """The ledger repository's `templates/` folder (beside `ledger/`), if there is one."""
    if ledger_root is None:
        return None
    folder = ledger_root.absolute().parent / "templates"
    return _resolved_user_dir(folder) if folder.is_dir() else None


@cache  # asked once per letter: resolving paths thousands of times costs seconds
def _resolved_user_dir(folder: Path) -> Path | None:
    resolved = folder.resolve()
    return resolved if resolved != packaged_dir("templates").resolve() else None


def templates_fingerprint(ledger_root: Path | None) -> str:
    """The names and contents of every template a render may read (the user's folder, then the
    packaged one): the same templates give the same fingerprint in a fresh checkout or a new
    installation (a CI machine), any other change a new one."""
    h = hashlib.blake2b(digest_size=16)
    for role, folder in (("user", user_templates_dir(ledger_root)), ("packaged", packaged_dir("templates"))):
        if folder is None:
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)  # noqa: PTH118 - 100s of files, cheap
                with open(path, "rb") as handle:  # noqa: PTH123
                    data = handle.read()
                h.update(f"{role}:{os.path.relpath(path, folder)}:{len(data)}\0".encode())
                h.update(data)
    return h.hexdigest()


def _autoescape(name: str | None) -> bool:
    return name is not None and name.removesuffix(".j2").endswith((".html", ".htm", ".xml", ".svg"))


def filters(language: str, currency: str) -> dict[str, Callable[..., str]]:
    """Filters bound to a language: `{{ amount | money }}`, `{{ day | date_long }}`."""

    def money(amount: Decimal | int | None) -> str:
        return "" if amount is None else formatting.money(Decimal(amount), currency, language)

    def date_long(day: date | None) -> str:
        return "" if day is None else formatting.date_long(day, language)

    def date_short(day: date | None) -> str:
        return "" if day is None else formatting.date_short(day, language)

    return {"money": money, "date_long": date_long, "date_short": date_short}


@cache
def _environment(user_dir: Path | None) -> jinja2.Environment:
    search = [str(user_dir)] if user_dir else []
    search.append(str(packaged_dir("templates")))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters("fr", "EUR"))
    # Every word in both languages (`relancegit.words`): `vocabulary.fr.letter.step` etc.
    env.globals["vocabulary"] = VOCABULARIES
    return env


def environment(ledger_root: Path | None = None) -> jinja2.Environment:
    """The shared environment (cached per user template folder), filters bound to French."""
    return _environment(user_templates_dir(ledger_root))


@cache
def _bound(user_dir: Path | None, language: str, currency: str) -> jinja2.Environment:
    base = _environment(user_dir)
    # An overlay has its own template cache (compiled once per language, then reused) but
    # shares its parent's `filters` dict: give it a new one rather than updating the shared one.
    env = base.overlay(cache_size=400)
    env.filters = {**base.filters, **filters(language, currency)}
    return env


def bound_environment(ledger_root: Path | None, language: str = "fr", currency: str = "EUR") -> jinja2.Environment:
    """The environment with filters for one language and currency, cached: templates compile once."""
    return _bound(user_templates_dir(ledger_root), language, currency)


def render(
    name: str | list[str],
    context: dict[str, Any],
    *,
    ledger_root: Path | None = None,
    language: str = "fr",
    currency: str = "EUR",
) -> str:
    """Render the first existing template of `name` with language-bound filters."""
    env = bound_environment(ledger_root, language, currency)
    template = env.select_template(name if isinstance(name, list) else [name])
    return template.render(context)
