"""The guides name buttons, menus, pages and fields in the Thai UI's own words.

A guide writes what a person presses, opens or fills in bold or in quotes after its verb or noun
(กด **บันทึก**, ปุ่ม **…**, เมนู **…**, หน้า **…**, ช่อง "…"); "…" in a name stands for a part that
varies (a year, a count). Each
such name must be a Thai translation the app shows (the catalogue Django loads for Thai: ours, the
vendored viewflow one and Django's own) or Thai written in a template.
"""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

from config.help import GUIDES

NAMING = re.compile(r"(?:กด|ปุ่ม|เมนู|เลือก|คลิก|ลิงก์|แท็บ|หน้า|ช่อง|หัวข้อ|ตัวเลข)[ \t]*$")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}")


def names_in_guides() -> dict[str, set[str]]:
    """Return each UI name the guides give, with the guides that give it."""
    names: dict[str, set[str]] = {}
    for guide in GUIDES:
        path = Path(settings.BASE_DIR) / "docs" / f"guide-{guide.slug}.md"
        for line in path.read_text(encoding="utf-8").splitlines():
            for mark in ("**", '"'):
                parts = line.split(mark)  # plain, marked, plain, marked, …
                for before, marked in zip(parts[0:-1:2], parts[1::2], strict=False):
                    if NAMING.search(before):
                        names.setdefault(marked.strip(), set()).add(guide.slug)
    return names


def words_the_ui_shows() -> set[str]:
    """Return every Thai text the app may show, a varying part written "…"."""
    with translation.override("th"):
        catalogue = trans_real.translation("th")._catalog  # Django keeps no public list of it
        shown = {PLACEHOLDER.sub("…", text).strip() for _key, text in catalogue.items()}
    templates = Path(settings.BASE_DIR) / "templates"
    for template in templates.rglob("*.html"):
        shown.add(PLACEHOLDER.sub("…", template.read_text(encoding="utf-8")))
    return shown


def shown(name: str, words: set[str]) -> bool:
    """Say whether the name is a text the UI shows, or a phrase of one: Thai runs its words
    together, so a phrase ends where the text does, at a space, a mark or a tag ("บันทึก" is a
    phrase of "กด บันทึก" but not of "บันทึกข้อมูล")."""
    phrase = re.compile(rf"(?:^|(?<=[\s(\[:·\"'>]))(?:{re.escape(name)})(?=$|[\s)\]:·,.\"'<])")
    return name in words or any(phrase.search(text) for text in words)


def test_every_button_and_menu_a_guide_names_is_the_ui_s_own_word():
    names, words = names_in_guides(), words_the_ui_shows()
    assert len(names) > 40 and "เปิดข้อมูลนักเรียน" in names  # the guides' names were read
    wrong = {name: sorted(slugs) for name, slugs in names.items() if not shown(name, words)}
    assert not wrong, f"named in the guides, not shown by the Thai UI: {wrong}"


def test_a_name_the_ui_does_not_show_is_found():
    words = {"บันทึกข้อมูลแล้ว", "ตรวจสอบการเลื่อนชั้นเข้าสู่ปีการศึกษา …", "<p>เลือกไฟล์ แล้วกด</p>"}
    assert shown("ตรวจสอบการเลื่อนชั้นเข้าสู่ปีการศึกษา …", words)  # a year in the name
    assert shown("เลือกไฟล์", words) and shown("แล้วกด", words)  # phrases of a text
    assert not shown("บันทึก", words) and not shown("ข้อมูล", words)  # inside a Thai word run
    assert not shown("ติดตามวันนับ", words)
