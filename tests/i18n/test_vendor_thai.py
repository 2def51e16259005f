"""The strings viewflow and django-axes render read in Thai (locale_vendor), English on request."""

import ast
import gettext
import importlib.util
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

VENDOR_MO = Path(settings.BASE_DIR) / "locale_vendor" / "th" / "LC_MESSAGES" / "django.mo"
# {% trans "…" %} and {% translate '…' context "…" %} with a literal; {% blocktrans %} blocks
# are in the package's own catalogues.
TRANS_TAG = re.compile(
    r"""\{%\s*trans(?:late)?\s+(["'])(.+?)\1(?:\s+context\s+(["'])(.+?)\3)?\s*%\}"""
)
GETTEXT = {"_", "gettext", "gettext_lazy"}
PGETTEXT = {"pgettext", "pgettext_lazy"}


def _package_root(package: str) -> Path:
    return Path(importlib.util.find_spec(package).origin).parent


def _catalogue_msgids(root: Path) -> set[tuple]:
    """Return (context, msgid, plural) of every entry of the package's .po files, all languages."""
    found = set()
    for po in root.glob("locale/*/LC_MESSAGES/django.po"):
        for block in re.split(r"\n\s*\n", po.read_text(encoding="utf-8")):
            fields, key = {}, None
            for line in block.splitlines():
                if line.startswith("#"):
                    continue
                if match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr\S*) (".*")$', line):
                    key, line = match.group(1), match.group(2)
                    fields[key] = ""
                if key and line.startswith('"'):
                    fields[key] += ast.literal_eval(line)
            if fields.get("msgid"):
                found.add((fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural")))
    return found


def _source_msgids(root: Path) -> set[tuple]:
    """Return the literal strings the package's templates and code mark for translation.

    A release's .po files can lag its code (viewflow 2.4's miss 19 of its msgids).
    """
    found = set()
    for template in root.rglob("*.html"):
        for match in TRANS_TAG.finditer(template.read_text(encoding="utf-8")):
            found.add((match.group(4), match.group(2), None))
    for module in root.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if not args or len(args) != len(node.args) or not all(isinstance(a, str) for a in args):
                continue  # f-strings and variables cannot be looked up anyway
            if node.func.id in GETTEXT:
                found.add((None, args[0], None))
            elif node.func.id in PGETTEXT and len(args) == 2:
                found.add((args[0], args[1], None))
    return found


class _Misses(gettext.NullTranslations):
    """A fallback that records every message the Thai catalogue does not have."""

    def __init__(self):
        super().__init__()
        self.missed = []

    def gettext(self, message):
        self.missed.append(message)
        return message

    def ngettext(self, msgid1, msgid2, n):
        self.missed.append(msgid1)
        return msgid1

    def pgettext(self, context, message):
        self.missed.append(f"{context}|{message}")
        return message


@pytest.mark.parametrize("package", ["viewflow", "axes"])
def test_every_string_of_the_package_has_thai(package):
    with VENDOR_MO.open("rb") as mo:
        thai = gettext.GNUTranslations(mo)
    misses = _Misses()
    thai.add_fallback(misses)
    root = _package_root(package)
    for context, msgid, plural in _catalogue_msgids(root) | _source_msgids(root):
        if context is not None:
            thai.pgettext(context, msgid)
        elif plural is not None:
            thai.ngettext(msgid, plural, 1)
        else:
            thai.gettext(msgid)
    assert not misses.missed, (
        f"{package} shows these with no Thai in locale_vendor/th/LC_MESSAGES/django.po "
        "(add them, then `make messages`):\n" + "\n".join(sorted(map(repr, misses.missed)))
    )


def test_vendor_catalogue_is_thai_with_one_plural_form():
    with VENDOR_MO.open("rb") as mo:
        info = gettext.GNUTranslations(mo).info()
    assert info["language"] == "th"
    assert info["plural-forms"] == "nplurals=1; plural=0;"


def test_forbidden_page_is_thai_and_english_on_request(client_as, staff):
    client = client_as(staff)
    url = reverse("census:reports")  # a school's staff may not read the reports
    response = client.get(url)
    assert response.status_code == 403
    body = response.content.decode()
    assert "403 ไม่มีสิทธิ์เข้าถึง" in body
    assert "เข้าสู่ระบบด้วยผู้ใช้อื่น" in body
    assert "ไม่มีสิทธิ์เข้าถึงหน้านี้" in body
    assert "Access Forbidden" not in body
    assert "Log in as another user" not in body

    client.post(reverse("set_language"), {"language": "en", "next": url})
    body = client.get(url).content.decode()
    assert "403 Access Forbidden" in body
    assert "Log in as another user" in body
    assert "ไม่มีสิทธิ์เข้าถึง" not in body


def test_not_found_page_is_thai(client_as, staff, school):
    url = reverse("schools:student", args=[school.code, uuid.uuid4()])
    response = client_as(staff).get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "404 ไม่พบหน้าที่ต้องการ" in body
    assert "ขออภัย ไม่พบหน้าที่ท่านต้องการ" in body
    assert "Page not found" not in body


def test_a_flow_page_has_one_menu_and_it_is_thai(client_as, staff):
    response = client_as(staff).get(reverse("certification:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    menu = re.search(r'<nav class="mdc-drawer__content">.*?</nav>', body, re.S).group(0)
    for thai in ("หน้าแรก", "งานของฉัน", "ออกจากระบบ"):
        assert thai in menu
    # The flow's own menu (its dashboard, queue and archive, counted apart) is not shown.
    for flows_own in ("ภาพรวม", "งานรอรับ", "งานที่ดำเนินการแล้ว"):
        assert flows_own not in menu
    for english in (">Dashboard<", ">Inbox<", ">Queue<", ">Archive<", "Log out"):
        assert english not in re.sub(r">\s+", ">", re.sub(r"\s+<", "<", body))


def test_our_back_side_of_a_building_leaves_viewflows_back_button_alone():
    from django.utils import translation

    from buildings.models import BuildingPhoto

    with translation.override("th"):
        assert str(BuildingPhoto.Side.BACK.label) == "ด้านหลัง"  # the photo of a building's back
        assert translation.gettext("Back") == "กลับ"  # viewflow's button
