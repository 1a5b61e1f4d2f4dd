"""Staff and merchants read Zhibao in Simplified Chinese; the English source text is one switch away.

The catalogue is locale/zh_Hans/LC_MESSAGES/django.po. After adding or changing a translated string, run
    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=test-output --ignore=var
        --ignore=bench --ignore=staticfiles -d django
translate the new entries (and any marked fuzzy) and `make messages` (`make test` and `make run` compile it).
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import trans_real

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
HOW_TO_FIX = "run makemessages as this module's docstring says, then translate the entries in " + str(PO)
# The folders makemessages is told to ignore, and the tests, whose strings nobody reads on a page.
NOT_SCANNED = {".venv", "test-output", "var", "bench", "staticfiles", "tests", "node_modules", ".git"}

PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{\w*\}")


def _po_entries():
    """Every entry of the catalogue but its header and obsolete ones: dicts of msgid, msgid_plural, msgstr
    (a list: one string, or one per plural form) and flags."""
    entries, entry, field = [], None, None
    for line in PO.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry is not None and entry["msgid"]:
                entries.append(entry)
            entry = None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"msgid": "", "msgid_plural": "", "msgstr": [], "flags": set()}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if field == "msgstr":
                entry["msgstr"][-1] += text
            else:
                entry[field] += text
        else:
            keyword, value = line.split(" ", 1)
            text = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(text)
            else:
                field = keyword
                entry[field] = text
    return entries


PY_CALL = re.compile(
    r"""\b(?:_|gettext|gettext_lazy|gettext_noop|ngettext|ngettext_lazy)\(\s*((?P<q>["'])(?:\\.|(?!(?P=q)).)*(?P=q))\s*[,)]"""
)
TEMPLATE_TRANSLATE = re.compile(
    r"""\{%\s*trans(?:late)?\s+((?P<q>["'])(?:(?!(?P=q)).)*(?P=q))(?:\s+noop)?(?:\s+as\s+\w+)?\s*%\}"""
)
TEMPLATE_UNDERSCORE = re.compile(r"""\b_\(((?P<q>["'])(?:(?!(?P=q)).)*(?P=q))\)""")
TEMPLATE_BLOCK = re.compile(
    r"\{%\s*blocktrans(?:late)?\b(?P<options>[^%]*)%\}(?P<text>.*?)\{%\s*endblocktrans(?:late)?\s*%\}"
)
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _source_files(suffixes):
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.suffix in suffixes and path.is_file() and not NOT_SCANNED & set(relative.parts):
            yield relative, path.read_text(encoding="utf-8")


def _template_msgid(text):
    """What makemessages files a template string under: a lone % is doubled (python-format)."""
    return text.replace("%", "%%")


def _literal_msgids():
    """(file, msgid) of every one-line string literal marked for translation in the code and templates.
    Concatenated literals, f-strings and multi-line blocks are left out: makemessages still finds them."""
    found = []
    for relative, text in _source_files({".py"}):
        found += [(relative, ast.literal_eval(m.group(1))) for m in PY_CALL.finditer(text)]
    for relative, text in _source_files({".html", ".txt"}):
        for pattern in (TEMPLATE_TRANSLATE, TEMPLATE_UNDERSCORE):
            found += [(relative, _template_msgid(m.group(1)[1:-1])) for m in pattern.finditer(text)]
        for m in TEMPLATE_BLOCK.finditer(text):
            if "context" in m.group("options").split():
                continue
            singular = re.split(r"\{%\s*plural\s*%\}", m.group("text"))[0]
            if "trimmed" in m.group("options").split():
                singular = singular.strip()
            found.append((relative, TEMPLATE_VARIABLE.sub(r"%(\1)s", _template_msgid(singular))))
    return found


def test_every_entry_of_the_catalogue_is_translated_and_none_is_fuzzy():
    entries = _po_entries()
    assert len(entries) > 500, "the catalogue looks truncated"
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"]) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}: {HOW_TO_FIX}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (a guess by makemessages), e.g. {fuzzy[:5]}: check and unmark them"


def test_every_translation_keeps_the_placeholders_of_its_source_text():
    """A lost %(amount)s garbles the page; an extra one raises a KeyError while rendering."""
    wrong = []
    for e in _po_entries():
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        wrong += [(e["msgid"], s) for s in e["msgstr"] if sorted(PLACEHOLDER.findall(s)) != expected]
    assert not wrong, wrong[:5]


def test_chinese_uses_one_plural_form():
    header = PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert all(len(e["msgstr"]) == 1 for e in _po_entries() if e["msgid_plural"])


def test_every_string_marked_in_the_source_is_in_the_catalogue():
    """A new string someone marks for translation fails here until it is in the catalogue."""
    msgids = {e["msgid"] for e in _po_entries()}
    marked = _literal_msgids()
    assert len({msgid for _, msgid in marked}) > 500, "the source scan finds too little: check its patterns"
    missing = sorted({f"{path}: {msgid!r}" for path, msgid in marked if msgid not in msgids})
    assert not missing, f"not in the catalogue ({HOW_TO_FIX}):\n" + "\n".join(missing)


@pytest.fixture(scope="module")
def compiled_catalogue():
    """The pages below need the compiled catalogue; `make test` builds it, a bare pytest run may not have."""
    mo = PO.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < PO.stat().st_mtime:
        call_command("compilemessages", locale=["zh_Hans"], ignore_patterns=[".venv"], verbosity=0)
        # Django caches catalogues per process, as it does when LOCALE_PATHS changes: load them afresh.
        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture
def chinese_default(settings, compiled_catalogue):
    """The site's default language: the test settings read English so that other tests see the source text."""
    settings.LANGUAGE_CODE = "zh-hans"


def _switch(client, language, page):
    return client.post(reverse("set_language"), {"language": language, "next": page}, follow=True).content.decode()


def test_the_admin_login_page_is_chinese_by_default_and_english_after_the_switch(db, client, chinese_default):
    html = client.get("/admin/login/").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "质保后台" in html and "Zhibao back office" not in html
    html = _switch(client, "en", "/admin/login/")
    assert "Zhibao back office" in html and "质保后台" not in html


def test_the_portal_login_page_is_chinese_by_default_and_english_after_the_switch(db, client, chinese_default):
    page = reverse("portal:login")
    html = client.get(page).content.decode()
    assert "商家登录" in html and "Merchant sign-in" not in html
    html = _switch(client, "en", page)
    assert "Merchant sign-in" in html and "商家登录" not in html


def test_a_merchant_reads_claims_as_理赔单_until_switching_to_english(client, world, chinese_default):
    client.force_login(world.merchant_user)
    html = client.get(reverse("portal:home")).content.decode()
    assert ">理赔单<" in html and ">Claims<" not in html
    html = _switch(client, "en", reverse("portal:home"))
    assert ">Claims<" in html and ">理赔单<" not in html


def test_a_reviewer_sees_the_back_office_menu_in_chinese_until_switching_to_english(client, world, chinese_default):
    client.force_login(world.reviewer_user)
    html = client.get("/admin/").content.decode()
    assert "审核队列" in html and "Review queue" not in html
    html = _switch(client, "en", "/admin/")
    assert "Review queue" in html and "审核队列" not in html
