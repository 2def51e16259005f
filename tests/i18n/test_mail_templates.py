"""Every e-mail's text templates (templates/<app>/mail/) speak one language at a time: in Thai no
English sentence is left (a msgid without its Thai, or a template's text typed outside the
catalogue), in English no Thai; and an e-mail is text, so what is typed reads as typed."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.mail import mail_compose

TEMPLATES = Path(settings.BASE_DIR) / "templates"
MAILS = sorted(
    str(path.relative_to(TEMPLATES)).removesuffix("_body.txt")
    for path in TEMPLATES.glob("*/mail/*_body.txt")
)
# Every name a mail template reads, filled with text in neither language: what is left is the
# template's own words.
CONTEXT = {name: "&'<1>'" for name in (
    "school", "code", "round", "opens", "closes", "certify_closes", "link", "year", "fiscal",
    "hours", "to", "name", "expires", "url", "inviter", "role", "place", "email",
)}  # fmt: skip
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
THAI = re.compile(r"[\u0e00-\u0e7f]")


class User:
    display_name = "&'<1>'"

    def get_username(self):
        return "&'<1>'"


def test_every_mail_template_is_found():
    assert len(MAILS) >= 11, MAILS


@pytest.mark.parametrize("name", MAILS)
def test_a_mail_speaks_thai_or_english_and_reads_as_typed(name):
    context = {**CONTEXT, "user": User()}
    with translation.override("th"):
        subject, body = mail_compose(name, context)
    # OpenDMC and B-OBEC are names.
    english = [w for w in ENGLISH_WORD.findall(subject + body) if w not in ("OpenDMC", "OBEC")]
    assert not english, (name, english)
    assert THAI.search(subject) and THAI.search(body)
    assert "&'<1>'" in body and "&amp;" not in body and "&#x27;" not in body
    assert "\n" not in subject
    with translation.override("en"):
        subject, body = mail_compose(name, context)
    assert not THAI.search(subject + body), name
