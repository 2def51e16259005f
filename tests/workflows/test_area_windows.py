"""A staggered count day (issue 20): the ministry gives groups of area offices their own part of
the round's windows; each school confirms and certifies in its area office's part, its deadline
and timer follow it, what has passed stays, and every change is logged."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from census.area_windows import area_windows_replace
from census.deadlines import deadlines_for
from census.models import AreaWindow, RoundChange, SchoolRound
from census.services import school_round_confirm
from census.tasks import send_due_reminders
from schools.models import School
from tests.factories import AreaOfficeFactory, SchoolFactory
from workflows.models import CertificationProcess
from workflows.services import round_open

from .helpers import at, open_task, step
from .test_round_change import _fire, _timer, change_round

BEFORE_THE_DAY = at(7, 0, day=date(2026, 11, 1))
AREA_CONFIRM_REFUSED = "เขตพื้นที่ของท่านยืนยันข้อมูลได้เฉพาะ 10 พ.ย. 2569 10:00–11:00 น."
AREA_CERTIFY_REFUSED = "เขตพื้นที่ของท่านรับรองข้อมูลได้เฉพาะ 10 พ.ย. 2569 10:30–11:30 น."


def stagger(client, user, round, groups):
    client.force_login(user)
    return client.post(reverse("workflows:round_area_windows", args=[round.pk]), {"groups": groups})


def times(window: AreaWindow) -> tuple:
    return (
        window.confirm_opens,
        window.confirm_closes,
        window.certify_opens,
        window.certify_closes,
    )


def own_window(round2, area, actor=None):
    """Give the area office 10:00–11:00 to confirm and 10:30–11:30 to certify."""
    plan = {
        area.pk: {
            "confirm_opens": at(10, 0),
            "confirm_closes": at(11, 0),
            "certify_opens": at(10, 30),
            "certify_closes": at(11, 30),
        }
    }
    return area_windows_replace(round=round2, actor=actor, plan=plan, at=BEFORE_THE_DAY)


def test_the_ministry_spreads_the_area_offices_over_the_count_day(
    client, ministry_admin, round2, school, other_school, time_machine
):
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    response = stagger(client, ministry_admin, round2, 2)
    assert response.status_code == 302
    windows = {w.area_office.code: w for w in AreaWindow.objects.select_related("area_office")}
    # 08:00–16:30 cut in two; each certify window starts 30 minutes after its confirm window.
    assert times(windows["5001"]) == (at(8, 0), at(12, 15), at(8, 30), at(12, 45))
    assert times(windows["5002"]) == (at(12, 15), at(16, 30), at(12, 45), at(16, 30))
    page = client.get(response["Location"]).content.decode()
    assert "08:00–12:15" in page and "12:45–16:30" in page
    change = RoundChange.objects.get()
    assert change.changed_by == ministry_admin
    assert change.before["confirm_closes@5001"] == ""  # it had the round's windows
    assert change.after["confirm_closes@5001"] == "2026-11-10T12:15:00+07:00"
    assert "ปิดยืนยันข้อมูล เขตพื้นที่ 5001" in page  # the change, in the round's history
    # One group gives every area office the round's windows again, logged too.
    assert stagger(client, ministry_admin, round2, 1).status_code == 302
    assert not AreaWindow.objects.exists()
    assert RoundChange.objects.count() == 2
    assert 'id="no-window-groups"' in client.get(response["Location"]).content.decode()


def test_each_group_carries_about_the_same_number_of_schools(
    client, ministry_admin, round2, area, other_area, time_machine
):
    third = AreaOfficeFactory(code="5003")
    for i in range(3):
        SchoolFactory(code=f"105013100{i}", area_office=area)
    SchoolFactory(code="1050132001", area_office=other_area)
    SchoolFactory(code="1050133001", area_office=third)
    SchoolFactory(
        code="1050133002",
        area_office=third,
        status=School.Status.CLOSED,
        closed_on=date(2026, 1, 1),
    )
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    stagger(client, ministry_admin, round2, 2)
    opens = {
        w.area_office.code: w.confirm_opens
        for w in AreaWindow.objects.select_related("area_office")
    }
    # The largest area office (3 schools) has a part of the day to itself; the two others share one.
    assert opens == {"5001": at(8, 0), "5002": at(12, 15), "5003": at(12, 15)}


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer"])
def test_only_the_ministry_staggers_a_round(client, request, round2, persona, time_machine):
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    response = stagger(client, request.getfixturevalue(persona), round2, 2)
    assert response.status_code == 403
    assert not AreaWindow.objects.exists()


def test_signed_out_the_stagger_form_leads_to_the_sign_in_page(client, round2):
    response = client.post(reverse("workflows:round_area_windows", args=[round2.pk]), {"groups": 2})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("groups", ["0", "13", "สอง", ""])
def test_a_number_of_groups_out_of_range_is_refused_on_the_form(
    client, ministry_admin, round2, school, groups, time_machine
):
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    response = stagger(client, ministry_admin, round2, groups)
    assert response.status_code == 200
    assert response.context["spread_form"].errors["groups"]
    assert response.context["form"].instance == round2  # the round's own form is still there
    assert not AreaWindow.objects.exists() and not RoundChange.objects.exists()


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [(at(9, 59, 59), False), (at(10, 0), True), (at(10, 59, 59), True), (at(11, 0), False)],
)
def test_staff_confirm_only_in_their_area_offices_part_of_the_day(
    client, opened, staff, area, round2, time_machine, moment, allowed
):
    own_window(round2, area)
    time_machine.move_to(at(7, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(moment, tick=False)
    response = step(client, staff, "confirm")
    state = SchoolRound.objects.get().state
    if allowed:
        assert response.status_code == 302 and state == SchoolRound.State.CONFIRMED
    else:
        assert AREA_CONFIRM_REFUSED in response.content.decode()
        assert state == SchoolRound.State.PREPARED


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [(at(10, 29, 59), False), (at(10, 30), True), (at(11, 29, 59), True), (at(11, 30), False)],
)
def test_the_director_certifies_only_in_the_area_offices_certify_window(
    client, opened, staff, director, area, round2, time_machine, moment, allowed
):
    own_window(round2, area)
    time_machine.move_to(at(10, 0), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    time_machine.move_to(moment, tick=False)
    response = step(client, director, "certify", {"decision": "certify", "attest": "on"})
    state = SchoolRound.objects.get().state
    if allowed:
        assert response.status_code == 302 and state == SchoolRound.State.CERTIFIED
    else:
        assert AREA_CERTIFY_REFUSED in response.content.decode()
        assert state == SchoolRound.State.CONFIRMED


def test_a_school_of_another_area_office_keeps_the_rounds_windows(
    round2, area, other_school, other_school_staff, time_machine
):
    own_window(round2, area)
    time_machine.move_to(at(7, 0), tick=False)
    school_round = SchoolRound.objects.create(round=round2, school=other_school, state="prepared")
    confirmed = school_round_confirm(
        school_round=school_round, actor=other_school_staff, at=at(8, 0)
    )
    assert confirmed.state == SchoolRound.State.CONFIRMED


def test_the_task_page_shows_the_area_offices_own_windows(
    client, opened, staff, area, round2, time_machine
):
    own_window(round2, area)
    time_machine.move_to(at(7, 0), tick=False)
    client.force_login(staff)
    page = client.get(open_task(client, staff, "prepare")).content.decode()
    assert "10 พ.ย. 2569 10:00–11:00 น." in page and "10 พ.ย. 2569 10:30–11:30 น." in page
    assert 'id="area-window"' in page


def test_open_processes_follow_their_area_offices_new_close_and_time_out_then(
    client, opened, ministry_admin, round2, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    assert opened.deadline == at(16, 30)
    stagger(client, ministry_admin, round2, 2)  # one area office: the first part of the day
    opened.refresh_from_db()
    assert opened.deadline == at(12, 45) == _timer(opened).scheduled
    time_machine.move_to(at(12, 45, 1), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 1
    assert SchoolRound.objects.get().state == SchoolRound.State.MISSED


def test_a_process_started_after_the_stagger_gets_its_area_offices_close(
    round2, area, school, clean_roster, time_machine
):
    own_window(round2, area)
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    round_open(round=round2)
    process = CertificationProcess.objects.get(school=school)
    assert process.deadline == at(11, 30) == _timer(process).scheduled


def test_what_has_passed_cannot_be_restaggered(
    client, opened, ministry_admin, round2, area, time_machine
):
    own_window(round2, area)
    opened.refresh_from_db()
    deadline = opened.deadline
    time_machine.move_to(at(11, 45), tick=False)  # the area office's windows have closed
    response = stagger(client, ministry_admin, round2, 1)
    assert response.status_code == 200
    errors = " ".join(response.context["spread_form"].non_field_errors())
    assert "5001: 10 พ.ย. 2569 10:00 ผ่านไปแล้ว เวลานี้แก้ไขไม่ได้อีก" in errors
    assert AreaWindow.objects.count() == 1 and RoundChange.objects.count() == 1
    opened.refresh_from_db()
    assert opened.deadline == deadline


def test_the_rounds_windows_cannot_shrink_past_an_area_offices_own(
    client, ministry_admin, round2, area, time_machine
):
    own_window(round2, area)
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    response = change_round(
        client, ministry_admin, round2,
        confirm_closes="2026-11-10T10:30", certify_closes="2026-11-10T10:45",
    )  # fmt: skip
    assert response.status_code == 200
    assert "5001" in response.content.decode()
    round2.refresh_from_db()
    assert round2.confirm_closes == at(16, 30)


def test_a_moved_count_day_takes_the_area_offices_windows_with_it(
    client, ministry_admin, round2, area, time_machine
):
    own_window(round2, area)
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    response = change_round(client, ministry_admin, round2, as_of="2026-11-11")
    assert response.status_code == 302
    window = AreaWindow.objects.get()
    day = date(2026, 11, 11)
    assert times(window) == (
        at(10, 0, day=day),
        at(11, 0, day=day),
        at(10, 30, day=day),
        at(11, 30, day=day),
    )


def test_staff_see_their_area_offices_windows_on_their_calendar_and_feed(
    client, staff, ministry_admin, round2, area, time_machine
):
    own_window(round2, area)
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    count_day = f"round-{round2.pk}-"
    staff_confirm = [
        d for d in deadlines_for(user=staff) if d.kind == "confirm" and d.uid.startswith(count_day)
    ]
    assert [(d.starts, d.ends) for d in staff_confirm] == [(at(10, 0), at(11, 0))]
    assert "5001" in staff_confirm[0].subject
    ministry_confirm = [
        d
        for d in deadlines_for(user=ministry_admin)
        if d.kind == "confirm" and d.uid.startswith(count_day)
    ]
    assert [(d.starts, d.ends) for d in ministry_confirm] == [(at(8, 0), at(16, 30))]
    client.force_login(staff)
    page = client.get(reverse("census:index")).content.decode()
    assert "10:00" in page


def test_reminders_follow_each_area_offices_own_windows(
    opened, school, other_school, staff, other_school_staff, round2, area, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    time_machine.move_to(BEFORE_THE_DAY, tick=False)
    round_open(round=round2)  # the other school's process too
    own_window(round2, area)  # the school's area office: confirm 10:00–11:00

    def remind():
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_reminders.delay().get()

    # The day before, each school is told its own window.
    time_machine.move_to(at(9, 0, day=date(2026, 11, 9)), tick=False)
    assert remind() == {"day_before": 2}
    told = {m.to[0]: m.body for m in mail.outbox}
    assert "10 พ.ย. 2569 10:00" in told[staff.email] and "11:00" in told[staff.email]
    assert "10 พ.ย. 2569 08:00" in told[other_school_staff.email]
    mail.outbox.clear()
    # Two hours before its own close, not 14:30: only the school of the staggered area office.
    time_machine.move_to(at(9, 0), tick=False)
    assert remind() == {"afternoon": 1}
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert "10 พ.ย. 2569 11:00" in mail.outbox[0].body
    time_machine.move_to(at(14, 30), tick=False)
    assert remind() == {"afternoon": 1}
    assert mail.outbox[1].to == [other_school_staff.email]
    assert "10 พ.ย. 2569 16:30" in mail.outbox[1].body


@pytest.mark.parametrize(("moment", "allowed"), [(at(11, 29, 59), True), (at(11, 30), False)])
def test_the_directors_send_back_uses_the_area_offices_certify_window(
    client, opened, staff, director, area, round2, time_machine, moment, allowed
):
    own_window(round2, area)
    time_machine.move_to(at(10, 0), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    time_machine.move_to(moment, tick=False)  # 11:30: the round's window is open, the area's not
    reason = "ตัวเลขชั้น ป.3 ไม่ตรงกับสมุดทะเบียน"
    response = step(client, director, "certify", {"decision": "reject", "reason": reason})
    state = SchoolRound.objects.get().state
    if allowed:
        assert response.status_code == 302 and state == SchoolRound.State.PREPARED
    else:
        assert AREA_CERTIFY_REFUSED in response.content.decode()
        assert state == SchoolRound.State.CONFIRMED
