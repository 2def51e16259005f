"""Roster files with hostile cells, broken bytes and odd encodings: the file is refused whole with
its reason, or each bad row is refused on its own line; never a server error, nothing half-written.
Every example runs in a savepoint that is rolled back."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from schools.models import AuditEntry, Enrollment, RosterImport, Student
from schools.roster_import import Kind, roster_plan
from schools.uploads import UploadError

from ..schools.test_roster_import import HEADER
from .strategies import examples, hostile_text

COLUMNS = len(HEADER.split(","))


def csv_of(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


rows_of_hostile_cells = st.lists(
    st.lists(hostile_text, min_size=0, max_size=COLUMNS + 2), min_size=1, max_size=6
)


@settings(max_examples=examples(40))
@given(rows=rows_of_hostile_cells, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp874"]))
def test_a_plan_refuses_each_bad_row_on_its_line_or_the_whole_file(school, rows, encoding):
    data = csv_of(rows, encoding)
    try:
        plan = roster_plan(data=data, filename="r.csv", schools=[school])
    except UploadError as exc:
        assert str(exc)
        return
    lines = [row.line for row in plan.rows]
    assert lines == sorted(set(lines)) and all(2 <= n <= len(rows) + 1 for n in lines)
    for row in plan.rows:
        assert (row.kind == Kind.REFUSED) == bool(row.reasons)


@settings(max_examples=examples(25))
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
        hostile_text.map(lambda t: (HEADER + "\n" + t).encode("utf-8", errors="replace")),
    ),
    name=st.sampled_from(["r.csv", "r.xlsx", "r.txt", ""]),
)
def test_the_upload_page_never_fails_on_any_bytes(client_as, staff, school, data, name):
    client = client_as(staff)
    before = (Student.objects.count(), Enrollment.objects.count(), AuditEntry.objects.count())
    with transaction.atomic():
        response = client.post(
            reverse("schools:roster_import", args=[school.code]),
            {"file": SimpleUploadedFile(name or "file", data)},
        )
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            page = client.get(response["Location"])
            assert page.status_code == 200
            roster_import = RosterImport.objects.latest("created_at")
            assert roster_import.status in (
                RosterImport.Status.PREVIEWED,
                RosterImport.Status.REJECTED,
            )
        after = (Student.objects.count(), Enrollment.objects.count(), AuditEntry.objects.count())
        assert after == before
        transaction.set_rollback(True)
