"""Helpers for the people tests: invite through the page, read the link from the e-mail."""

import re

from django.core import mail
from django.urls import reverse

LINK = re.compile(r"https?://\S+/accounts/invitation/(\S+)/")


def invite(client, *, role, email, school=None, area=None, name="สมใจ", **extra):
    """Post the invite form; return the response."""
    data = {
        "role": role,
        "school_code": school.code if school else "",
        "area_office": area.code if area else "",
        "first_name": name,
        "last_name": "ใฝ่รู้",
        "title": "นางสาว",
        "email": email,
        "citizen_id": "",
        **extra,
    }
    return client.post(reverse("people:invite"), data)


def last_link(to: str) -> str:
    """Return the path of the invitation link in the last e-mail sent to an address."""
    message = [m for m in mail.outbox if to in m.to][-1]
    return "/accounts/invitation/" + LINK.search(message.body).group(1) + "/"
