"""Fuzz the people pages: the bulk invitation file (random bytes, damaged CSV, other encodings,
hostile cells) and the invite form (hostile text in every field). Never a server error; a refused
file or form answers 200 with its reasons and writes nothing. Each example runs in a savepoint
that is rolled back."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import Invitation, Membership, RoleChange, User

from .strategies import examples, hostile_text

HEADER = ["รหัสโรงเรียน", "บทบาท", "ชื่อ", "อีเมล"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp874", "utf-16", "latin-1"]


def counts():
    return tuple(m.objects.count() for m in (Invitation, RoleChange, Membership, User))


@st.composite
def csv_files(draw) -> bytes:
    """A file that looks like a bulk invitation file, with hostile cells, in some encoding."""
    rows = [HEADER] + draw(
        st.lists(
            st.lists(
                st.one_of(
                    hostile_text,
                    st.sampled_from(["1050130001", "1050130999", "staff", "director", "a@b.co"]),
                ),
                min_size=0,
                max_size=6,
            ),
            max_size=8,
        )
    )
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.getvalue().encode(encoding, errors="replace")


files = st.one_of(csv_files(), st.binary(max_size=2000))


@pytest.fixture
def officer(client, area_officer, school, other_school):
    client.force_login(area_officer)
    return client


@settings(max_examples=examples(40))
@given(content=files, apply=st.booleans(), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt"]))
@example(content=b"\x00" * 50, apply=True, name="a.csv")
@example(content=b'"unterminated,quote\n' * 3, apply=True, name="a.csv")
def test_any_bulk_file_is_answered_without_a_server_error(officer, content, apply, name):
    with transaction.atomic():
        before = counts()
        data = {"file": SimpleUploadedFile(name, content), ("apply" if apply else "dry_run"): "1"}
        response = officer.post(reverse("people:bulk"), data)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert counts() == before  # refused, or a dry run: nothing written
        transaction.set_rollback(True)


FIELDS = ["role", "school_code", "title", "first_name", "last_name", "email", "citizen_id"]


@settings(max_examples=examples(40))
@given(field=st.sampled_from(FIELDS), value=hostile_text)
@example(field="email", value="somchai@@example.org")
@example(field="email", value="x" * 300 + "@example.org")
@example(field="citizen_id", value="1101700203451")
def test_the_invite_form_refuses_hostile_text_cleanly(officer, field, value):
    valid = {
        "role": "staff", "school_code": "1050130001", "title": "นาย", "first_name": "สมชาย",
        "last_name": "ใจดี", "email": "somchai@example.org", "citizen_id": "",
    }  # fmt: skip
    with transaction.atomic():
        before = counts()
        response = officer.post(reverse("people:invite"), {**valid, field: value})
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert counts() == before
        transaction.set_rollback(True)
