"""seed_scale: synthetic national-scale data on PostgreSQL (COPY), refused anywhere else."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django_otp.oath import totp

from accounts.models import (
    AreaOfficeUserObjectPermission,
    Membership,
    Role,
    SchoolUserObjectPermission,
    User,
)
from accounts.permissions import sync_user_permissions
from census.models import RosterSnapshot, SchoolRound
from demo import scale
from schools.identifiers import citizen_id_check_digit, is_valid_citizen_id, parse_gcode
from schools.models import AreaOffice, Enrollment, IssuedGCode, Measurement, School, Student

from ..factories import SchoolFactory
from ..sign_in import authenticator_for

SIZES = {"areas": 3, "schools": 12, "learners": 2000}


def seed(**options):
    out = StringIO()
    call_command("seed_scale", stdout=out, **{**SIZES, "seed": 7, **options})
    return out.getvalue()


def counts():
    return {
        m.__name__: m.objects.count()
        for m in (AreaOffice, School, Student, Enrollment, Measurement, User, Membership)
    }


def perm_rows(user):
    return sorted(
        [
            *SchoolUserObjectPermission.objects.filter(user=user).values_list(
                "permission__codename", "content_object_id"
            ),
            *AreaOfficeUserObjectPermission.objects.filter(user=user).values_list(
                "permission__codename", "content_object_id"
            ),
        ]
    )


@pytest.mark.postgres
def test_seed_scale_loads_valid_synthetic_data(db):
    out = seed()
    assert "rows/s" in out and "opendmc-scale" in out
    c = counts()
    assert (c["AreaOffice"], c["School"], c["Student"], c["Enrollment"]) == (3, 12, 2000, 2000)
    assert 0.95 * 2000 <= c["Measurement"] < 2000  # most learners measured, a few left to fix
    assert c["User"] == 1 + 3 + 2 * 12
    assert not Enrollment.objects.exclude(status="active").exists()
    # Valid citizen IDs in the reserved range, and some G-codes.
    ids = list(Student.objects.exclude(citizen_id=None).values_list("citizen_id", flat=True))
    assert all(cid.startswith("9") and is_valid_citizen_id(cid) for cid in ids)
    assert ids[:1] == [ids[0][:12] + str(citizen_id_check_digit(ids[0][:12]))]
    gcodes = list(Student.objects.exclude(gcode=None).values_list("gcode", flat=True))
    assert gcodes and all(parse_gcode(g) == g and g.startswith("G99") for g in gcodes)
    # each recorded as issued, for its learner and school (menu 2.7.4 accepts no other)
    recorded = set(IssuedGCode.objects.values_list("gcode", "student__gcode", "school_id"))
    schools = dict(
        Enrollment.objects.filter(student__gcode__in=gcodes).values_list(
            "student__gcode", "school_id"
        )
    )
    assert recorded == {(g, g, schools[g]) for g in gcodes}
    assert all(code.startswith("99") for code in School.objects.values_list("code", flat=True))
    # Sizes skewed like the real schools, grades fit each school's level.
    sizes = sorted(
        Enrollment.objects.values("school")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert sizes[-1] > sizes[len(sizes) // 2]
    for school in School.objects.select_related("area_office"):
        grades = set(school.enrollments.values_list("grade", flat=True))
        if school.area_office.kind == AreaOffice.Kind.SECONDARY:
            assert grades <= set(scale.SECONDARY_GRADES)
        else:
            assert grades <= set(scale.EXPANDED_GRADES)


def test_the_national_plan_is_skewed_like_the_real_schools():
    p = scale.plan(areas=245, schools=29_000, learners=6_500_000, seed=1)
    sizes = [school[4] for school in p.schools]
    assert sum(sizes) == 6_500_000 and min(sizes) >= 1
    assert sum(n < 120 for n in sizes) > 0.4 * len(sizes)  # many small schools
    assert 5 <= sum(n > 3000 for n in sizes) <= 300  # a few very large ones
    kinds = [a[2] for a in p.areas]
    assert kinds.count("primary") == 183 and kinds.count("secondary") == 62
    per_area = {}
    for school in p.schools:
        per_area[school[2]] = per_area.get(school[2], 0) + 1
    assert len(per_area) == 245 and max(per_area.values()) >= 200  # the dashboard's big area
    assert p.schools == scale.plan(areas=245, schools=29_000, learners=6_500_000, seed=1).schools


@pytest.mark.postgres
def test_seed_scale_is_idempotent_per_seed(db):
    seed()
    first = counts()
    ids = set(Student.objects.values_list("public_id", "citizen_id", "gcode"))
    assert "nothing to do" in seed()
    assert counts() == first
    seed(force=True)
    assert counts() == first
    assert set(Student.objects.values_list("public_id", "citizen_id", "gcode")) == ids
    seed(seed=8)
    assert {k: v for k, v in counts().items() if k != "Measurement"} == {
        k: v for k, v in first.items() if k != "Measurement"
    }
    assert set(Student.objects.values_list("public_id", "citizen_id", "gcode")).isdisjoint(ids)


@pytest.mark.postgres
def test_seed_scale_refuses_a_database_with_real_or_demo_data(db):
    SchoolFactory(code="1050130001")
    with pytest.raises(CommandError, match="did not create"):
        seed()
    assert School.objects.get().code == "1050130001"
    assert not Student.objects.exists()


@pytest.mark.postgres
def test_seed_scale_refuses_after_the_demo(db):
    call_command("seed_demo", stdout=StringIO())
    before = counts()
    with pytest.raises(CommandError, match="schools, learners"):
        seed()
    assert counts() == before


def test_seed_scale_refuses_sqlite(db):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite refusal")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        seed()


@pytest.mark.postgres
def test_scale_logins_work_with_the_permissions_sync_would_grant(client, db):
    seed(round=True)
    staff = User.objects.get(username="scale.staff.9900000001")
    officer = User.objects.get(username="scale.area.sc001")
    director = User.objects.get(username="scale.director.9900000001")
    for user in (staff, director, officer, User.objects.get(username="scale.admin")):
        rows = perm_rows(user)
        sync_user_permissions(user)
        assert perm_rows(user) == rows  # the bulk rows are what the sync would write
    assert {m.role for m in Membership.objects.filter(user=officer)} == {Role.AREA_OFFICER}
    school = School.objects.get(code="9900000001")
    learner = Student.objects.filter(enrollments__school=school).order_by("pk").first()
    assert (
        client.post(
            "/accounts/login/", {"username": staff.username, "password": scale.SCALE_PASSWORD}
        ).status_code
        == 302
    )
    roster = client.get(f"/schools/{school.code}/")
    assert roster.status_code == 200
    assert learner.last_name_th in roster.content.decode()
    other = School.objects.exclude(pk=school.pk).first()
    assert client.get(f"/schools/{other.code}/").status_code == 404
    client.logout()
    device = authenticator_for(officer)  # an area officer signs in with a second factor
    client.post("/accounts/login/", {"username": officer.username, "password": "opendmc-scale"})
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"
    assert client.post("/accounts/second-factor/", {"code": code}).status_code == 302
    dashboard = client.get(f"/census/areas/{school.area_office.code}/dashboard/")
    assert dashboard.status_code == 200
    # The round: every school in a state, a frozen roster for each certified one.
    states = set(SchoolRound.objects.values_list("state", flat=True))
    assert {"certified", "confirmed", "prepared", "not_started"} <= states
    assert SchoolRound.objects.count() == 12
    for snapshot in RosterSnapshot.objects.select_related("school"):
        active = snapshot.school.enrollments.filter(status="active").count()
        assert snapshot.learner_count == active == snapshot.rows.count()
        # The reports read the grade counts the real freeze writes: the seed writes them too.
        graded = snapshot.grade_counts.aggregate(n=Sum("learners"))["n"]
        assert graded == snapshot.learner_count


@pytest.mark.postgres
def test_seed_scale_with_its_round_runs_again_safely(db):
    # A second run found the round's frozen rosters, which the database keeps append-only, and
    # crashed deleting them ("audit entries are append-only"); it leaves the round as it is.
    seed(round=True)
    states = dict(SchoolRound.objects.values_list("school__code", "state"))
    snapshots = set(RosterSnapshot.objects.values_list("public_id", flat=True))
    out = seed(round=True)
    assert "already in place" in out
    assert dict(SchoolRound.objects.values_list("school__code", "state")) == states
    assert set(RosterSnapshot.objects.values_list("public_id", flat=True)) == snapshots
    # --force reloads the whole seed, its round included.
    seed(round=True, force=True)
    assert SchoolRound.objects.count() == 12
    assert RosterSnapshot.objects.count() == len(snapshots)
