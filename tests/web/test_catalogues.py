"""The Kazakh, Russian and English catalogues: complete, consistent, and equal to what the code marks.

When a message is added or changed, extract and merge (commands in babel.cfg), then translate.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from api import i18n
from api.domain.organisations.rules import EducationLevel, OrgKind, OrgStatus
from api.domain.territories.models import TerritoryKind
from api.settings import PROJECT_ROOT

UPDATE_HINT = (
    "extract and merge the catalogues (see babel.cfg): "
    ".venv/bin/pybabel extract -F babel.cfg -o /tmp/messages.pot --no-location --omit-header . && "
    ".venv/bin/pybabel update -i /tmp/messages.pot -d web/locales -D messages --no-fuzzy-matching; "
    "then translate the new entries in kk, ru and en"
)
_BRACES = re.compile(r"\{([a-z_]*)\}")
_PERCENT = re.compile(r"%\(([a-z_]+)\)s")


def _catalogue(locale: str) -> Catalog:
    with i18n.po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def _marked_messages() -> dict[str, str]:
    """Every message the code and templates mark, extracted as `pybabel extract` does: id -> where."""
    with (PROJECT_ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(PROJECT_ROOT), method_map, options_map):
        key = message[0] if isinstance(message, tuple) else message
        found.setdefault(key, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def marked() -> dict[str, str]:
    return _marked_messages()


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    catalogue = _catalogue(locale)
    assert catalogue.locale is not None and str(catalogue.locale) == locale
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy (unreviewed): {message.id!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple) and len(strings) != catalogue.num_plurals:
            problems.append(f"needs {catalogue.num_plurals} plural forms: {message.id!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        # A translation names the same values as the original, or formatting it fails at run time.
        source = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        for pattern in (_BRACES, _PERCENT):
            wanted = set(pattern.findall(source))
            for text in strings:
                if not set(pattern.findall(text or "")) <= wanted:
                    problems.append(f"names values the original does not have: {text!r}")
    problems += [f"{error}" for _message, errors in catalogue.check() for error in errors]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", ("kk", "ru"))
def test_kazakh_and_russian_are_not_english_copies(locale: str) -> None:
    catalogue = _catalogue(locale)
    copied = [
        m.id
        for m in catalogue
        if m.id and not isinstance(m.id, tuple) and m.string == m.id and re.search(r"[A-Za-z]{3}", m.id)
    ]
    assert not copied, f"{locale} keeps English text: {copied}"
    cyrillic = sum(1 for m in catalogue if m.id and re.search("[а-яА-ЯәғқңөұүһіӘҒҚҢӨҰҮҺІ]", str(m.string)))
    assert cyrillic >= len([m for m in catalogue if m.id]) - 5


def test_catalogues_hold_exactly_what_the_code_marks(marked: dict[str, str]) -> None:
    # The marked set is what the pages and the API can show; it is found by extraction, not listed here.
    assert "Register an organisation" in marked and "Organisation not found." in marked
    assert "%(shown)s organisation found" in marked  # plural {% trans %} blocks
    for locale in i18n.LOCALES:
        catalogue = _catalogue(locale)
        ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue if m.id}
        missing = {m: where for m, where in marked.items() if m not in ids}
        unused = ids - set(marked)
        assert not missing, f"{locale}: messages missing from the catalogue: {missing}; {UPDATE_HINT}"
        assert not unused, f"{locale}: catalogue entries no code uses: {sorted(unused)}; {UPDATE_HINT}"


def test_every_error_class_is_an_extraction_keyword() -> None:
    """A new DomainError subclass raised with a message must be in babel.cfg, or its messages go unextracted."""
    errors = {"DomainError"}
    classes: list[tuple[str, list[str]]] = []
    for path in sorted((PROJECT_ROOT / "api").rglob("*.py")) + sorted((PROJECT_ROOT / "tenants").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                classes.append(
                    (node.name, [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases])
                )
    grown = True
    while grown:  # subclasses of subclasses
        before = len(errors)
        errors |= {name for name, bases in classes if errors & set(bases)}
        grown = len(errors) > before
    with (PROJECT_ROOT / "babel.cfg").open() as handle:
        _methods, options = parse_mapping_cfg(handle)
    keywords = set(options["api/**.py"]["keywords"])
    assert errors <= keywords, f"add to the keywords of [python: api/**.py] in babel.cfg: {sorted(errors - keywords)}"


def test_every_domain_code_has_a_translated_label() -> None:
    assert set(i18n.KIND_LABELS) == {k.value for k in OrgKind}
    assert set(i18n.STATUS_LABELS) == {s.value for s in OrgStatus}
    assert set(i18n.LEVEL_LABELS) == {level.value for level in EducationLevel}
    assert set(i18n.TERRITORY_KIND_LABELS) == {k.value for k in TerritoryKind}
    for locale in ("kk", "ru"):
        with i18n.use_locale(locale):
            for code in (*OrgKind, *OrgStatus, *EducationLevel, *TerritoryKind):
                assert i18n.label(code.value) not in (code.value, ""), (locale, code)
    assert i18n.label("something-new") == "something-new"


def test_message_templates_match_the_messages_the_services_raise() -> None:
    # Each parameterised API message is recognised and its values translated.
    cases = {
        "A school is placed under a district, town, not under a region.": (
            "Организация вида «школа» размещается на территории вида: район, город областного значения, а не «область»."
        ),
        "Only a suspended organisation can be resumed; this one is active.": (
            "Возобновить можно только приостановленную организацию; статус этой организации: «активна»."
        ),
        "Object missing required field `bin`": "Заполните это поле.",
        "Expected `int` >= 1": "Значение должно быть не меньше 1.",
    }
    for english, russian in cases.items():
        assert i18n.translate_message(english, "ru") == russian
    assert i18n.translate_message("A message nobody has seen.", "kk") == "A message nobody has seen."
    # Kazakh sentences that open with a value still start with a capital.
    assert i18n.translate_message("A college does not run higher education (cl. 2).", "kk").startswith("«Колледж»")


def test_language_negotiation() -> None:
    assert i18n.negotiate("kk-KZ,kk;q=0.9,ru;q=0.8") == "kk"
    assert i18n.negotiate("en-GB;q=0.4, ru-RU;q=0.6") == "ru"
    assert i18n.negotiate("ru;q=0, en") == "en"  # q=0 means "not this one"
    assert i18n.negotiate("de, fr;q=0.5") is None
    assert i18n.negotiate("*") is None
    assert i18n.negotiate("") is None and i18n.negotiate(None) is None
    assert i18n.negotiate("kk;q=abc, ru;q=0.2") == "ru"  # a broken quality is skipped, not fatal
    assert i18n.negotiate(";;;,,,") is None


def test_catalogues_are_compiled_when_missing_or_stale(tmp_path: Path) -> None:
    directory = tmp_path / "locales"
    shutil.copytree(i18n.LOCALE_DIR, directory, ignore=shutil.ignore_patterns("*.mo"))
    written = i18n.compile_catalogues(directory)
    assert sorted(p.parent.parent.name for p in written) == sorted(i18n.LOCALES)
    assert i18n.compile_catalogues(directory) == []  # up to date: nothing to do

    mo = i18n.po_path("kk", directory).with_suffix(".mo")
    po = i18n.po_path("kk", directory)
    now = time.time()
    os.utime(po, (now, now))
    os.utime(mo, (now - 60, now - 60))  # the .po is now newer than its .mo
    assert i18n.compile_catalogues(directory) == [mo]

    with mo.open("rb") as handle:
        kazakh = Translations(handle, domain=i18n.DOMAIN)
    assert kazakh.gettext("Organisations") == "Ұйымдар"
    assert (
        kazakh.ngettext("%(shown)s organisation found", "%(shown)s organisations found", 5) == "%(shown)s ұйым табылды"
    )
    assert po.exists()


def test_gettext_follows_the_current_language() -> None:
    with i18n.use_locale("ru"):
        assert i18n.gettext("Territories") == "Территории"
        assert (
            i18n.ngettext("%(shown)s organisation found", "%(shown)s organisations found", 3)
            == "Найдено %(shown)s организации"
        )
    with i18n.use_locale("xx"):  # unknown: the source language
        assert i18n.current_locale() == "en" and i18n.gettext("Territories") == "Territories"


def test_a_read_only_installation_translates_from_the_po_files(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> list[Path]:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(i18n, "compile_catalogues", refuse)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("kk").gettext("Territories") == "Аумақтар"
        assert i18n.translations("ru").gettext("Territories") == "Территории"
    finally:
        i18n.translations.cache_clear()
