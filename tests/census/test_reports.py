"""Reports: scoped to the user's area offices, certified snapshots only, a fixed number of
queries, and .csv/.xlsx exports of every table."""

import io
import os
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from census.models import RosterSnapshot, SchoolRound, SubsidyRate
from schools.models import Enrollment, EnrollmentStatus, School
from tests.factories import EnrollmentFactory, SchoolFactory, StudentFactory

from .subsidy_data import BORN_P, P1, P2, F, M, certify, rates_2567, years

REPORTS = [
    "census:reports",
    "census:report_changes",
    "census:report_allocation",
    "census:report_missing",
]
# Queries per report page, the same for an area officer and the ministry, for 1 school or 20.
REPORT_QUERIES = {
    "census:reports": 9,
    "census:report_changes": 12,
    "census:report_allocation": 9,
    "census:report_missing": 6,
}
# Read again with the same figures: the allocation's summary is kept (see allocation_figures).
REPORT_QUERIES_KEPT = {**REPORT_QUERIES, "census:report_allocation": 7}


@pytest.fixture
def rounds(db):
    return years(2566, 2567)


@pytest.fixture
def data(rounds, school, other_school):
    """school: 3 learners in Nov 2566; in June 2567 one left, one came, one dropped out in between.
    other_school (another area): 5 learners in June 2567."""
    stay, leave, drop = (StudentFactory() for _ in range(3))
    nov, june = rounds[(2566, 2)], rounds[(2567, 1)]
    certify(school, nov, [(P1, M, BORN_P)] * 3, students=[stay, leave, drop])
    newcomer = StudentFactory()
    certify(school, june, [(P2, M, BORN_P), (P2, F, BORN_P)], students=[stay, newcomer])
    EnrollmentFactory(
        student=drop, school=school, grade=P1, status=EnrollmentStatus.DROPPED_OUT,
        started_on=date(2023, 5, 16), ended_on=date(2024, 1, 15),
    )  # fmt: skip
    certify(other_school, june, [(P1, F, BORN_P)] * 5)
    rates_2567()
    return nov, june


def _get(client, name, **params):
    return client.get(reverse(name), params)


def test_counts_are_scoped_to_the_area(client_as, data, area_officer, school, other_school):
    nov, june = data
    body = _get(client_as(area_officer), "census:reports", round=june.pk).content.decode()
    assert school.code in body and other_school.code not in body
    assert "<svg" in body  # the chart, drawn on the server


def test_another_areas_officer_gets_nothing_of_it(client_as, data, other_area_officer, school):
    nov, june = data
    client = client_as(other_area_officer)
    for name in REPORTS:
        body = _get(client, name, round=june.pk, after=june.pk, before=nov.pk).content.decode()
        assert school.code not in body and school.name_th not in body
        assert _get(client, name, area=school.area_office.code).status_code == 404
    export = _get(client, "census:reports", round=june.pk, export="units", format="csv")
    assert school.code not in export.content.decode("utf-8-sig")


@pytest.mark.parametrize("persona", ["staff", "director", "id_approver"])
def test_school_users_and_approvers_get_no_report(client_as, request, data, persona):
    client = client_as(request.getfixturevalue(persona))
    for name in REPORTS:
        assert client.get(reverse(name)).status_code == 403


def test_the_ministry_sees_every_area(client_as, data, ministry_admin, school, other_school):
    nov, june = data
    client = client_as(ministry_admin)
    body = _get(client, "census:reports", round=june.pk).content.decode()
    assert school.area_office.code in body and other_school.area_office.code in body
    table = _get(client, "census:reports", round=june.pk, export="grades", format="csv")
    text = table.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[-1].split(",")[1:] == ["1", "6", "7"]  # total: 1 male, 6 female


def test_the_national_allocation_page_links_the_schools_download(
    client_as, data, ministry_admin, school, other_school
):
    client = client_as(ministry_admin)
    page = _get(client, "census:report_allocation", year=2567, term=1)
    assert "schools" not in page.context["report"]  # no per-school rows on the nation's page
    body = page.content.decode()
    assert "export=schools" in body and school.area_office.code in body
    text = _get(client, "census:report_allocation", year=2567, term=1, export="schools",
                format="csv").content.decode("utf-8-sig")  # fmt: skip
    assert school.code in text and other_school.code in text
    area_page = _get(client, "census:report_allocation", year=2567, term=1,
                     area=school.area_office.code)  # fmt: skip
    assert school.code in area_page.content.decode()  # one area office: its schools on the page
    # The statuses read in the language chosen, whichever was active when the module loaded (the
    # page is the request's: the thread's language is given back after it).
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _get(client, "census:report_allocation", year=2567, term=1).content.decode()
    assert "Provisional rate" in english
    client.post(reverse("set_language"), {"language": "th", "next": "/"})
    thai = _get(client, "census:report_allocation", year=2567, term=1).content.decode()
    assert "Provisional rate" not in thai and "อัตรายังไม่ยืนยัน" in thai


def test_counts_export_xlsx_and_formula_safety(client_as, rounds, area, area_officer):
    sneaky = SchoolFactory(code="1050130777", name_th='=HYPERLINK("x")', area_office=area)
    certify(sneaky, rounds[(2567, 1)], [(P1, M, BORN_P)])
    client = client_as(area_officer)
    csv_text = _get(client, "census:reports", round=rounds[(2567, 1)].pk, export="units",
                    format="csv").content.decode("utf-8-sig")  # fmt: skip
    assert "'=HYPERLINK" in csv_text
    response = _get(client, "census:reports", round=rounds[(2567, 1)].pk, export="units",
                    format="xlsx")  # fmt: skip
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("x")' in names


def test_changes_between_rounds(client_as, data, area_officer):
    nov, june = data
    client = client_as(area_officer)
    response = _get(client, "census:report_changes", before=nov.pk, after=june.pk, export="grades",
                    format="csv")  # fmt: skip
    rows = {
        r.split(",")[0]: r.split(",")[1:]
        for r in response.content.decode("utf-8-sig").splitlines()[1:]
    }
    total = rows[next(k for k in rows if k not in ("ป.1", "ป.2", "P1", "P2"))]
    # before, after, in, out, dropped out
    assert total == ["3", "2", "1", "2", "1"]
    assert _get(client, "census:report_changes", before=nov.pk, after=june.pk).status_code == 200


def test_missing_and_revoked_schools(client_as, data, rounds, area, area_officer, school):
    nov, june = data
    missed = SchoolFactory(code="1050130555", area_office=area)
    SchoolRound.objects.create(round=june, school=missed, state=SchoolRound.State.MISSED)
    revoked = SchoolFactory(code="1050130556", area_office=area)
    snap = certify(revoked, june, [(P1, M, BORN_P)])
    RosterSnapshot.objects.filter(pk=snap.pk).update(status=RosterSnapshot.Status.REVOKED)
    SchoolRound.objects.filter(pk=snap.school_round_id).update(
        state=SchoolRound.State.REVOKED, revoked_reason="wrong counts"
    )
    never = SchoolFactory(code="1050130557", area_office=area)
    response = _get(client_as(area_officer), "census:report_missing", round=june.pk,
                    export="missing", format="csv")  # fmt: skip
    text = response.content.decode("utf-8-sig")
    assert missed.code in text and revoked.code in text and never.code in text
    assert "wrong counts" in text and school.code not in text
    # A revoked snapshot is not counted anywhere.
    counts = _get(client_as(area_officer), "census:reports", round=june.pk, export="units",
                  format="csv").content.decode("utf-8-sig")  # fmt: skip
    assert [r for r in counts.splitlines() if r.startswith(revoked.code)][0].endswith(",0,0,0,0")


def test_allocation_report_matches_the_school_page(client_as, data, area_officer, school):
    client = client_as(area_officer)
    response = _get(client, "census:report_allocation", year=2567, term=1)
    assert response.context["summary"].provisional  # the uniforms of primary are provisional
    assert response.context["report"]["statuses"]  # school: provisional; other area: not listed
    csv_text = _get(client, "census:report_allocation", year=2567, term=1, export="schools",
                    format="csv").content.decode("utf-8-sig")  # fmt: skip
    row = [r for r in csv_text.splitlines() if school.code in r][0].split(",")
    # Advance: 3 P1 on 10 Nov × 2792 × 0.7 = 5863.20; balance: 2 P2 × 2736 × 0.3 = 1641.60.
    assert row[3:6] == ["5863.20", "1641.60", "7504.80"]
    for export in ("areas", "items"):
        assert _get(client, "census:report_allocation", year=2567, term=1, export=export,
                    format="xlsx").status_code == 200  # fmt: skip


def _schools(area, rounds, n):
    nov, june = rounds[(2566, 2)], rounds[(2567, 1)]
    for i in range(n):
        s = SchoolFactory(area_office=area)
        certify(s, nov, [(P1, M, BORN_P), (P2, F, BORN_P)])
        certify(s, june, [(P1, F, BORN_P)])
        if i % 3 == 0:
            Enrollment.objects.create(
                student=StudentFactory(), school=s, grade=P1, status=EnrollmentStatus.DROPPED_OUT,
                started_on=date(2023, 5, 16), ended_on=date(2024, 2, 1),
            )  # fmt: skip


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("who", ["area_officer", "ministry_admin"])
def test_report_pages_run_a_fixed_number_of_queries(
    client_as, request, rounds, area, django_assert_num_queries, name, who
):
    rates_2567()
    client = client_as(request.getfixturevalue(who))
    params = {"year": 2567, "term": 1, "round": rounds[(2567, 1)].pk,
              "before": rounds[(2566, 2)].pk, "after": rounds[(2567, 1)].pk}  # fmt: skip
    _schools(area, rounds, 1)
    client.get(reverse(name), params)  # warm the session and content types
    cache.clear()  # the allocation's summary is computed, not read from the cache
    client.get(reverse("accounts:profile"))  # the session's last-seen minute, kept in the cache
    with django_assert_num_queries(REPORT_QUERIES[name]):
        assert client.get(reverse(name), params).status_code == 200
    _schools(area, rounds, 19)
    with django_assert_num_queries(REPORT_QUERIES[name]):
        assert client.get(reverse(name), params).status_code == 200
    with django_assert_num_queries(REPORT_QUERIES_KEPT[name]):  # the same figures
        assert client.get(reverse(name), params).status_code == 200


# --- grade counts written at the freeze -----------------------------------------------------------


def _from_rows(snapshot, born_after):
    """The grade counts as the rows give them (the rule of census.subsidy, by birth date)."""
    from django.db.models import Count, Q

    from census.models import SnapshotRow

    return {
        grade: (n, male, female, under)
        for grade, n, male, female, under in SnapshotRow.objects.filter(snapshot=snapshot)
        .values_list("grade")
        .annotate(
            n=Count("id"),
            male=Count("id", filter=Q(sex=M)),
            female=Count("id", filter=Q(sex=F)),
            under=Count("id", filter=Q(birth_date__gt=born_after)),
        )
    }


@pytest.fixture
def frozen(rounds, school, director):
    """A snapshot frozen through the certification service: K1 learners on both sides of the
    fourth birthday (one turns 4 on the as-of date itself), P1 and P2 boys and girls."""
    from datetime import timedelta

    from census.services import school_round_certify
    from schools.models import Grade

    june = rounds[(2567, 1)]  # as of 10 June 2567 (2024)
    learners = [
        (Grade.K1, M, date(2020, 6, 10)), (Grade.K1, F, date(2020, 6, 11)),
        (Grade.K1, F, date(2020, 12, 1)), (Grade.K1, M, date(2019, 12, 1)),
        (P1, M, BORN_P), (P1, F, BORN_P), (P1, F, BORN_P), (P2, M, BORN_P),
    ]  # fmt: skip
    for grade, sex, born in learners:
        EnrollmentFactory(
            student=StudentFactory(sex=sex, birth_date=born), school=school, grade=grade,
            started_on=date(2024, 5, 16),
        )  # fmt: skip
    EnrollmentFactory(school=school, grade=P1, started_on=date(2024, 6, 11))  # after the as-of date
    school_round = SchoolRound.objects.create(
        round=june, school=school, state=SchoolRound.State.CONFIRMED
    )
    return school_round_certify(
        school_round=school_round, actor=director, at=june.certify_opens + timedelta(minutes=5)
    )


def test_the_freeze_writes_grade_counts_equal_to_its_rows(frozen):
    from census import allocation
    from schools.models import Grade

    born_after = allocation.funded_born_after(frozen.as_of)
    counts = {
        c.grade: (c.learners, c.male, c.female, c.under_age) for c in frozen.grade_counts.all()
    }
    assert counts == _from_rows(frozen, born_after)
    assert counts[Grade.K1] == (4, 2, 2, 2)  # born 11 June 2020 and 1 Dec 2020: not yet 4
    assert sum(c[0] for c in counts.values()) == frozen.learner_count == 8
    assert frozen.counts == {g: {"M": c[1], "F": c[2]} for g, c in counts.items()}
    assert sorted(allocation._counts(round=frozen.round, school_id=frozen.school_id)) == sorted(
        (frozen.school_id, g, c[0], c[3]) for g, c in counts.items()
    )


def test_counts_made_under_another_minimum_age_are_counted_again(frozen, settings):
    from census import allocation
    from schools.models import Grade

    settings.SUBSIDY_MIN_AGE = 5
    lines = {
        g: (n, u)
        for _s, g, n, u in allocation._counts(round=frozen.round, school_id=frozen.school_id)
    }
    assert lines[Grade.K1] == (4, 4)  # every K1 learner is under 5
    assert lines[P1] == (3, 0)


def test_the_allocation_figures_are_kept_until_they_change(
    frozen, rounds, ministry_admin, area, django_assert_num_queries
):
    from census import allocation, rates
    from census.services import school_round_revoke

    rates_2567()

    def figures():
        return allocation.allocation_figures(
            schools=School.objects.filter(area_office=area), academic_year=2567, term=1
        )

    first = figures()
    assert first.total > 0 and first.schools == []  # no per-school rows are kept
    full = allocation.allocation_summary(
        schools=School.objects.filter(area_office=area), academic_year=2567, term=1
    )
    assert (first.total, first.areas, first.statuses) == (full.total, full.areas, full.statuses)
    with django_assert_num_queries(3):  # the fingerprint only: rates, rounds, counts
        assert figures().total == first.total
    # A rate changes: the figures change at once.
    tuition = SubsidyRate.objects.get(fiscal_year=2567, item="tuition", level="primary")
    rates.subsidy_rate_update(rate=tuition, actor=ministry_admin, baht_per_year=Decimal(3000))
    dearer = figures()
    assert dearer.total > first.total
    # Another school of the area is certified.
    certify(SchoolFactory(area_office=area), rounds[(2567, 1)], [(P1, F, BORN_P)])
    more = figures()
    assert more.total > dearer.total and more.areas[0]["funded"] == dearer.areas[0]["funded"] + 1
    # The settings change.
    with override_settings(SUBSIDY_ADVANCE_SHARE="0.50"):
        assert figures().total != more.total
    # A snapshot is revoked.
    school_round_revoke(
        school_round=frozen.school_round, actor=ministry_admin, reason="wrong counts",
        at=frozen.round.certify_closes,
    )  # fmt: skip
    assert figures().areas[0]["funded"] == more.areas[0]["funded"] - 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis (REDIS_URL)")
def test_the_figures_are_kept_in_redis_as_production_keeps_them(frozen, area):
    """CACHE_URL in production: the figures go through pickling into a real Redis and back."""
    from django.core.cache import caches

    from census import allocation

    rates_2567()
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
             "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": f"test-{uuid.uuid4()}"}  # fmt: skip
    with override_settings(CACHES={"default": redis}):
        schools = School.objects.filter(area_office=area)
        computed = allocation.allocation_figures(schools=schools, academic_year=2567, term=1)
        inputs = allocation._Inputs.load(academic_year=2567, term=1)
        key = allocation._summary_key(schools=schools, inputs=inputs)
        kept = caches["default"].get(key)
        assert kept == computed and kept.total > 0
        caches["default"].delete(key)


def test_a_revoked_snapshot_leaves_the_counts_and_the_allocation(frozen, ministry_admin, area):
    from census import allocation, reports
    from census.services import school_round_revoke

    scope = reports.Scope(areas=[area], area=area)
    assert reports.counts_report(scope=scope, round=frozen.round)["grades"].total[3] == 8
    school_round_revoke(
        school_round=frozen.school_round, actor=ministry_admin, reason="wrong counts",
        at=frozen.round.certify_closes,
    )  # fmt: skip
    assert reports.counts_report(scope=scope, round=frozen.round)["grades"].total[3] == 0
    assert allocation._counts(round=frozen.round, school_id=frozen.school_id) == []
    assert frozen.grade_counts.count() == 3  # the counts stay with the revoked snapshot


@pytest.mark.parametrize("language", ["th", "en"])
def test_a_tables_rows_read_as_a_template_per_cell_wrote_them(language):
    """The rows are written in one pass; each cell reads as it did with ``intcomma`` per cell."""
    from django.template import Context, Template
    from django.utils import translation
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    rows = [
        ["1050130777", '<b>"โรงเรียน" & co</b>', 1234567, -1234, Decimal("7504.80")],
        [gettext_lazy("Final"), mark_safe("<i>x</i>"), 0, Decimal("-1234.50"), Decimal("1E+3")],
        [None, date(2024, 6, 10), 12345.678, True, Decimal("0.00")],
    ]
    total = ["รวม", "", 1234567, Decimal("123456789.01"), None]
    per_cell = Template(
        "{% load humanize %}{% for row in rows %}<tr>{% for cell in row %}<td>"
        '{% if cell|stringformat:"s" == cell %}{{ cell }}{% else %}{{ cell|intcomma }}{% endif %}'
        "</td>{% endfor %}</tr>{% endfor %}|{% for cell in total %}<th>{{ cell|intcomma }}</th>"
        "{% endfor %}"
    )
    one_pass = Template(
        "{% load report_tables %}{% table_rows rows 10 5 %}|{% table_total total %}"
    )
    with translation.override(language):
        context = Context({"rows": rows, "total": total})
        assert one_pass.render(context) == per_cell.render(context)
        assert "1,234,567" in one_pass.render(context)
        empty = Template("{% load report_tables %}{% table_rows rows 10 4 %}")
        assert 'colspan="4"' in empty.render(Context({"rows": []}))


def test_an_area_officers_allocation_page_reads_its_schools_kept_figures(
    client_as, data, rounds, area_officer, school
):
    """One area office's page keeps its schools' rows with the figures: the second visit reads
    them (fewer queries, the same page); a certification in the area shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(area_officer)
    client.get(reverse("census:report_allocation"))  # warm the session
    cache.clear()
    with CaptureQueriesContext(connection) as computed:
        first = _get(client, "census:report_allocation", year=2567, term=1)
    with CaptureQueriesContext(connection) as kept:
        again = _get(client, "census:report_allocation", year=2567, term=1)
    assert len(kept.captured_queries) < len(computed.captured_queries)
    assert again.context["summary"].schools == first.context["summary"].schools
    assert school.code in again.content.decode()
    row = next(s for s in again.context["summary"].schools if s["code"] == school.code)
    assert row["total"] == Decimal("7504.80")  # as the school's own page (see above)
    newcomer = SchoolFactory(area_office=school.area_office)
    certify(newcomer, rounds[(2567, 1)], [(P1, F, BORN_P)])
    fresh = _get(client, "census:report_allocation", year=2567, term=1)
    assert newcomer.code in fresh.content.decode()
    assert fresh.context["summary"].total > again.context["summary"].total


def test_the_allocation_pages_tables_are_kept_with_their_figures_in_each_language(
    client_as, data, rounds, area_officer, ministry_admin, school
):
    """The chart and tables are drawn from the kept figures once and kept with them: the next
    visit writes none of their cells again, in the reader's language; new figures draw anew, and
    a kept download link names the area office, so it serves the ministry too."""
    tables = "census/reports/_table.html"

    def drawn(response):
        return tables in [t.name for t in response.templates]

    client = client_as(area_officer)
    client.get(reverse("census:report_allocation"))  # warm the session
    cache.clear()
    first = _get(client, "census:report_allocation", year=2567, term=1)
    again = _get(client, "census:report_allocation", year=2567, term=1)
    assert drawn(first) and not drawn(again)
    body = again.content.decode()
    assert body.count("<table") == first.content.decode().count("<table") == 3
    export = f"?area={school.area_office.code}&amp;year=2567&amp;term=1&amp;export=schools"
    assert school.code in body and export in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _get(client, "census:report_allocation", year=2567, term=1)
    assert drawn(english) and "Allocation per school" in english.content.decode()
    assert "Allocation per school" not in body  # the Thai page's tables stay Thai
    # The same area office through the ministry's eyes: its kept tables, its links.
    ministry = client_as(ministry_admin)
    ministry.get(reverse("census:report_allocation"))
    same = _get(ministry, "census:report_allocation", year=2567, term=1,
                area=school.area_office.code)  # fmt: skip
    assert export in same.content.decode()
    csv = ministry.get(reverse("census:report_allocation") + export.replace("&amp;", "&")
                       + "&format=csv").content.decode("utf-8-sig")  # fmt: skip
    assert school.code in csv
    # A certification in the area: the figures change, the tables are drawn again.
    newcomer = SchoolFactory(area_office=school.area_office)
    certify(newcomer, rounds[(2567, 1)], [(P1, F, BORN_P)])
    client = client_as(area_officer)
    fresh = _get(client, "census:report_allocation", year=2567, term=1)
    assert drawn(fresh) and newcomer.code in fresh.content.decode()


@pytest.mark.parametrize("name", REPORTS)
def test_a_report_page_and_its_menu_read_the_officers_areas_once(
    client_as, data, area_officer, name
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(area_officer)
    client.get(reverse(name), {"year": 2567, "term": 1})  # warm the session
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse(name), {"year": 2567, "term": 1})
    assert response.status_code == 200
    assert reverse("census:reports") in response.content.decode()  # the menu's entry
    areas = [q["sql"] for q in page.captured_queries
             if 'FROM "schools_areaoffice"' in q["sql"] and "permission" in q["sql"]]  # fmt: skip
    assert len(areas) == 1, areas
