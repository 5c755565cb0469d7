"""One vocabulary per language (`relancegit.words`): both languages have the same keys, and
every key the terminal, the site and the letters ask for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, get_args

import pytest

from relancegit import words
from relancegit.engine.schedule import ActionKind
from relancegit.model import DEFAULT_STEPS, EVENT_TYPES, Call, Channel, Escalation, Status, Title
from relancegit.words import keys, vocabulary, word

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "relancegit"
TEMPLATES = REPO / "templates"


def _missing(tree: Any, path: str) -> str | None:
    """The part of a dotted `path` a vocabulary lacks, or None. A path may end on a method of
    a word (`w.case.title.format`) or of a mapping (`letter.step.get`)."""
    node = tree
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif hasattr(node, part):  # a method: .format, .get, .items
            return None
        else:
            return part
    return None


def _difference(fr: Any, en: Any) -> set[str]:
    return set(keys(fr)) ^ set(keys(en))


def test_french_and_english_have_the_same_keys():
    assert _difference(vocabulary("fr"), vocabulary("en")) == set()


def test_a_key_in_one_language_only_is_found_nested_too():
    fr = {"site": {"nav": {"home": "Accueil", "extra": "Plus"}}}
    en = {"site": {"nav": {"home": "Home"}}}
    assert _difference(fr, en) == {"site.nav.extra"}


def test_phrases_ask_for_the_same_values_in_both_languages():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    fr, en = vocabulary("fr"), vocabulary("en")
    different = [k for k in keys(fr) if fields(word("fr", k)) != fields(word("en", k))]
    assert different == []
    assert fr is not en


def test_a_word_is_found_by_its_dotted_key_and_a_missing_one_is_an_error():
    assert word("fr", "site.nav.home") == "Tableau de bord"
    assert word("en", "site.nav.home") == "Dashboard"
    assert word("de", "status.paid") == "payé"  # the ledger's usual language otherwise
    with pytest.raises(KeyError):
        word("fr", "site.nav.nowhere")
    with pytest.raises(KeyError):
        word("fr", "site.nav")  # a group, not a word


@pytest.mark.parametrize("language", words.LANGUAGES)
def test_every_closed_list_of_the_model_and_the_engine_has_its_words(language: str):
    vocab = vocabulary(language)
    assert set(vocab["status"]) == {s.value for s in Status}
    assert set(vocab["action"]) == {k.value for k in ActionKind}
    assert set(vocab["channel"]) == {c.value for c in Channel}
    assert set(vocab["letter"]["channel"]) == {c.value for c in Channel}
    assert {s.id for s in DEFAULT_STEPS} <= set(vocab["step"]) & set(vocab["letter"]["step"])
    assert set(vocab["handover"]) == set(vocab["letter"]["handed_over"]) == set(_literal(Escalation, "to"))
    assert set(vocab["outcome"]) == set(vocab["letter"]["outcome"]) == set(_literal(Call, "outcome"))
    assert set(vocab["timeline"]["title_kind"]) == set(vocab["letter"]["title_kind"]) == set(_literal(Title, "kind"))


def _literal(model: Any, field: str) -> tuple[str, ...]:
    return get_args(model.model_fields[field].annotation)


@pytest.mark.parametrize("language", words.LANGUAGES)
def test_every_event_type_has_a_timeline_phrase_and_no_other(language: str):
    assert list(vocabulary(language)["event"]) == list(EVENT_TYPES)


def _letter_event_branches(text: str) -> set[str]:
    macro = text.split("{% macro event(e) -%}", 1)[1].split("{%- endmacro %}", 1)[0]
    return set(re.findall(r'e\.type == "([a-z-]+)"', macro))


@pytest.mark.parametrize("language", words.LANGUAGES)
def test_every_event_type_has_its_words_in_letters(language: str):
    """Phrased in the `event` macro of _words.<language>.md.j2, else a word of `letter.event`.
    A `void` never reaches a letter: the engine leaves it out with the event it cancels."""
    branches = _letter_event_branches((TEMPLATES / "letters" / f"_words.{language}.md.j2").read_text("utf-8"))
    worded = set(vocabulary(language)["letter"]["event"])
    assert branches.isdisjoint(worded)
    assert branches | worded | {"void"} == set(EVENT_TYPES)


def _template_keys() -> list[tuple[str, str, str]]:
    """(template, language, dotted key) for every word a template asks for: `vocabulary.<lang>.…`
    anywhere, and the site's `w.…` (its words of `site.…`, in both languages)."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.j2")):
        text = path.read_text("utf-8")
        name = str(path.relative_to(TEMPLATES))
        for language, key in re.findall(r"\bvocabulary\.(fr|en)\.([A-Za-z_][\w.]*)", text):
            found.append((name, language, key))
        if path.parent.name == "site":
            for key in re.findall(r"(?<![\w.])w\.([A-Za-z_][\w.]*)", text):
                found.extend((name, language, f"site.{key}") for language in words.LANGUAGES)
    return found


def test_templates_ask_for_words_at_all():
    asked = _template_keys()
    assert any(k == "letter.step.get" for _, _, k in asked)
    assert any(k.startswith("site.cols.") for _, _, k in asked)


@pytest.mark.parametrize(("template", "language", "key"), _template_keys())
def test_every_word_a_template_asks_for_exists(template: str, language: str, key: str):
    assert _missing(vocabulary(language), key) is None, f"{template}: {language} has no {key}"


def _code_keys() -> list[tuple[str, str]]:
    """Every phrase the code asks for by a literal key: `say("reason.paused", …)`."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        text = path.read_text("utf-8")
        found.extend((module, key) for key in re.findall(r'\.say\(\s*"([\w.-]+)"', text))
        found.extend((module, f"site.{'.'.join(parts)}") for parts in _ui_lookups(text))
    return found


def _ui_lookups(text: str) -> list[list[str]]:
    """`ui["aging"]["title"]`-style lookups of the site's words in Python code."""
    return [re.findall(r'\["([\w-]+)"\]', chain) for chain in re.findall(r'\.ui((?:\["[\w-]+"\])+)', text)]


def test_the_code_asks_for_words_at_all():
    asked = {k for _, k in _code_keys()}
    assert {"reason.paused", "timeline.via", "site.analytics.all_channels"} <= asked


@pytest.mark.parametrize(("module", "key"), _code_keys())
@pytest.mark.parametrize("language", words.LANGUAGES)
def test_every_word_the_code_asks_for_exists(module: str, key: str, language: str):
    assert _missing(vocabulary(language), key) is None, f"{module}: {language} has no {key}"


def test_a_missing_word_is_reported_by_the_check():
    assert _missing({"site": {"nav": {"home": "Accueil"}}}, "site.nav.cases") == "cases"
    assert _missing({"site": {"title": "Dossier {id}"}}, "site.title.format") is None
