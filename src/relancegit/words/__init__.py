"""Every word relancegit shows people, one vocabulary per language: `fr.py` and `en.py`.

Layer: presentation data (no logic, imports nothing of relancegit). The terminal (`render/views.py`,
`render/tables.py`), the site (`site/`) and the letters (the `words` global of the Jinja
environment) look words up here, so a key gives the same word everywhere in a language.
Where two outputs say a thing differently (the terminal's "1re relance", a letter's "première
relance"), they use two keys (`step`, `letter.step`). Python modules rather than YAML: importing
them costs nothing on the fast paths. `tests/test_words.py` checks that both languages have the
same keys and that every key asked for exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from relancegit.words import en, fr

LANGUAGES = ("fr", "en")
VOCABULARIES: Mapping[str, Mapping[str, Any]] = {"fr": fr.WORDS, "en": en.WORDS}


def vocabulary(language: str) -> Mapping[str, Any]:
    """The words of `language` ("en", else French: the ledger's usual language)."""
    return VOCABULARIES["en" if language == "en" else "fr"]


def word(language: str, key: str) -> str:
    """The word at a dotted `key` ("site.nav.home"); KeyError if the vocabulary has none."""
    found: Any = vocabulary(language)
    for part in key.split("."):
        found = found[part]
    if not isinstance(found, str):
        raise KeyError(key)
    return found


def keys(tree: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every dotted key of a vocabulary, down to its words."""
    for name, value in tree.items():
        if isinstance(value, Mapping):
            yield from keys(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"
