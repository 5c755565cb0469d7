"""French typography of a rendered letter, applied once to the whole text rather than by hand
in each template.

Layer: render (text post-processing, pure). `french(text)` turns the breakable spaces that
French typography wants unbreakable into no-break spaces:

- a narrow no-break space (U+202F) before `;`, `!` and `?`, a no-break space (U+00A0) before
  `:` and inside guillemets `« … »` (Imprimerie nationale rules, as the amounts already do);
- a no-break space after `n°` and `nos` (plural) before a number, and before `%` after a digit;
- "de" elided before a vowel: "de Agnès" → "d'Agnès" (ledger names are inserted after a
  fixed "de" in templates).

Only existing spaces are changed (nothing is inserted before `:`), so URLs (`https://`),
times, e-mail addresses, IBANs, amounts, entities (`&amp;`) and Markdown syntax (`|---:|`,
`\\!`) are left as they are: none of them has a space before these marks.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"  # no-break space: before ":" and inside « »
NNBSP = "\u202f"  # narrow no-break space: before ";", "!", "?"

# A breakable space (one or more spaces or tabs, never a line break) before the mark; the mark
# may carry a Markdown backslash escape (`\!` in the text converted to HTML).
_BEFORE_NARROW = re.compile(r"[ \t]+(\\?[;!?])")
_BEFORE_COLON = re.compile(r"[ \t]+(\\?:)(?=\s|$|\*|\|)")
_OPEN_QUOTE = re.compile(r"«[ \t\u00a0\u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \t\u00a0\u202f]*»")
_NUMERO = re.compile(r"\b(n°|nos) (?=[0-9A-Z])")
_PERCENT = re.compile(r"(\d)[ \t]%")
_VOWELS = "AEIOUÂÀÄÉÈÊËÎÏÔÖÛÙÜaeiouâàäéèêëîïôöûùü"
# "de" as a word (not "Vendée", "de-", "inde") followed by one space and a vowel.
_ELISION = re.compile(rf"(?<![\w'’-])([Dd])e ([{_VOWELS}])")
# Words starting with a vowel that French does not elide before ("de onze", "de oui").
_NO_ELISION = re.compile(r"(?:onze|onzième|ouate|oui\b)", re.IGNORECASE)


def french(text: str) -> str:
    """`text` with French typography applied (see the module docstring)."""
    text = _ELISION.sub(_elide, text)
    text = _BEFORE_NARROW.sub(NNBSP + r"\1", text)
    text = _BEFORE_COLON.sub(NBSP + r"\1", text)
    text = _OPEN_QUOTE.sub("«" + NBSP, text)
    text = _CLOSE_QUOTE.sub(NBSP + "»", text)
    text = _NUMERO.sub(r"\1" + NBSP, text)
    return _PERCENT.sub(r"\1" + NBSP + "%", text)


def _elide(match: re.Match[str]) -> str:
    rest = match.string[match.start(2) : match.start(2) + 8]
    if _NO_ELISION.match(rest):
        return match.group(0)
    return f"{match.group(1)}'{match.group(2)}"


def typeset(text: str, language: str) -> str:
    """`text` with the typography of `language` (French only: English needs no change)."""
    return french(text) if language == "fr" else text
