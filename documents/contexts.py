"""Context builders for annexes rendered by Celery: each takes ids and returns a template context."""

from typing import Any

from django.utils import timezone

from schools.models import School
from schools.selectors import roster_for


def roster_annex_rows(enrollments) -> list[dict[str, Any]]:
    """Return the rows of a roster annex: number, masked ID, name, sex, grade, room, birth date."""
    return [
        {
            "no": n,
            "identifier": e.student.identifier_masked,
            "name": e.student.full_name_th,
            "sex": e.student.get_sex_display(),
            "grade": e.get_grade_display(),
            "room": e.room,
            "birth_date": e.student.birth_date,
        }
        for n, e in enumerate(enrollments, start=1)
    ]


def roster_annex_context(*, school_id: int) -> dict[str, Any]:
    """Return the context of templates/documents/roster_annex.html for the school's active roster."""
    school = School.objects.select_related("area_office").get(pk=school_id)
    return {
        "school": school,
        "as_of": timezone.localdate(),
        "rows": roster_annex_rows(roster_for(school=school).iterator(chunk_size=1000)),
    }
