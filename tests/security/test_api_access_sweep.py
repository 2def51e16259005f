"""Walk every API route (/api/v1/ and OneRoster's /ims/oneroster/rostering/v1p2/), read from the
resolvers, with the keys of a school (read, write) and of
an area office, aimed at the objects of schools and area offices the key does not reach: nothing
of theirs is shown, changed or downloaded.

A route added later is swept automatically; its parameters are filled from the demo's data.
"""

import itertools
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from accounts.models import User
from accounts.permissions import areas_visible_to
from api.rostering.records import class_id
from api.rostering.selectors import current_year
from api.services import api_key_create
from census.models import Round
from schools.models import AreaOffice, Enrollment, EnrollmentStatus, School

from .test_access_sweep import WATCHED, foreign_values, patterns, world  # noqa: F401

KEYS = (
    # (who creates it, school code or None, area code or None, may write)
    ("director.maerim", "1050130001", None, False),
    ("director.maerim", "1050130001", None, True),
    ("director.doikham", "1050510001", None, True),
    ("area.cm1", None, "50010000", False),
)
PUBLIC = {"schema/", "docs/"}
ROOTS = {"api.urls": "/api/v1/", "api.rostering.urls": "/ims/oneroster/rostering/v1p2/"}
_keys = itertools.count()


def api_routes() -> list[str]:
    return [
        root + p
        for module, root in ROOTS.items()
        for p in patterns(get_resolver(module))
        if p not in PUBLIC
    ]


def sourced_ids(values: dict, principal) -> list[str]:
    """Return OneRoster sourcedIds of objects the key does not reach: schools, area offices,
    learners, classes and enrollments."""
    reached = _reached(principal)
    foreign = (
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE)
        .exclude(school__in=reached)
        .select_related("school", "student")[:2]
    )
    year = current_year()
    classes = [class_id(e.school.code, year, e.grade, e.room) for e in foreign]
    areas = AreaOffice.objects.exclude(pk__in=areas_visible_to(principal).values("pk")).values_list(
        "code", flat=True
    )[:2]
    return [
        *values["code"][:2],
        *(f"area-{code}" for code in areas),
        *values["public_id"][:2],
        *classes,
        *(f"{c}-{e.student.public_id}" for c, e in zip(classes, foreign, strict=True)),
    ]


def fill(pattern: str, values: dict) -> list[str]:
    candidates = {
        "code": values["code"],
        "public_id": values["public_id"],
        "sourced_id": values["sourced_id"],
        "round_id": [str(pk) for pk in Round.objects.values_list("pk", flat=True)[:2]],
        "year": ["2568", "2569"],
        "term": ["1"],
    }
    paths = [pattern]
    for name in re.findall(r"<(?:\w+:)?(\w+)>", pattern):
        paths = [
            re.sub(rf"<(?:\w+:)?{name}>", v, p, count=1) for p in paths for v in candidates[name]
        ]
    return paths[:10]


@pytest.mark.django_db
def test_no_key_reaches_another_schools_or_areas_objects(world):  # noqa: F811
    routes = api_routes()
    assert len(routes) >= 35
    assert sum(r.startswith("/ims/oneroster/") for r in routes) >= 18
    before = {m.__name__: m.objects.count() for m in WATCHED}
    problems, swept = [], 0
    for creator, school_code, area_code, write in KEYS:
        key, secret = api_key_create(
            actor=User.objects.get(username=creator),
            name=f"sweep {creator} {write}",
            expires_at=timezone.now() + timedelta(days=1),
            can_write=write,
            school=School.objects.filter(code=school_code).first(),
            area_office=AreaOffice.objects.filter(code=area_code).first(),
        )
        values = foreign_values(key.principal)
        values["sourced_id"] = sourced_ids(values, key.principal)
        assert len(values["sourced_id"]) >= 6
        foreign = School.objects.exclude(pk__in=[s.pk for s in _reached(key.principal)])
        secrets_shown = [s.code for s in foreign] + values["foreign_names"]
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        for pattern in routes:
            for path in fill(pattern, values):
                for method in ("get", "post"):
                    response = getattr(client, method)(
                        path,
                        data=json.dumps({}) if method == "post" else None,
                        content_type="application/json",
                        headers={"Idempotency-Key": f"sweep-{next(_keys)}"},
                    )
                    swept += 1
                    status = response.status_code
                    where = f"{key.name} {method.upper()} {path}"
                    if status >= 500:
                        problems.append(f"{where}: server error {status}")
                    elif status in (401, 403, 404, 405):
                        continue
                    elif status == 200 and response["Content-Type"] == "application/json":
                        body = response.content.decode()
                        shown = [s for s in secrets_shown if s and s in body]
                        if shown:
                            problems.append(f"{where}: shows {shown[:3]}")
                    else:
                        problems.append(f"{where}: answered {status} {response['Content-Type']}")
    print(f"swept {swept} API requests over {len(routes)} routes × {len(KEYS)} keys")
    assert not problems, "\n".join(problems[:40])
    assert {m.__name__: m.objects.count() for m in WATCHED} == before


def _reached(principal):
    from accounts.permissions import schools_visible_to

    return list(schools_visible_to(principal))
