"""The ministry changes a round's windows while schools are in it: their deadlines and timers
follow, what has passed stays, and every change is logged."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from census.models import ROUND_TIMES, Round, RoundChange, SchoolRound
from workflows.tasks import fire_workflow_timers

from .helpers import at, step


def _form(round: Round, **changes) -> dict:
    """Return the round's edit form as the page fills it, with some fields changed."""
    data = {
        name: timezone.localtime(getattr(round, name)).strftime("%Y-%m-%dT%H:%M")
        for name in ROUND_TIMES
    }
    return {**data, "as_of": round.as_of.isoformat(), **changes}


def change_round(client, user, round: Round, **changes):
    client.force_login(user)
    return client.post(reverse("workflows:round_edit", args=[round.pk]), _form(round, **changes))


def _timer(process) -> Task:
    return Task.objects.get(process=process, flow_task_type="TIMER", status="SCHEDULED")


def _fire(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return fire_workflow_timers.delay().get()


EXTENDED = {"confirm_closes": "2026-11-10T17:30", "certify_closes": "2026-11-10T17:30"}


def test_a_close_extended_at_1620_lets_staff_confirm_at_1645(
    client,
    opened,
    staff,
    director,
    ministry_admin,
    round2,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(at(16, 20), tick=False)
    response = change_round(client, ministry_admin, round2, **EXTENDED)
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.deadline == at(17, 30) == _timer(opened).scheduled
    time_machine.move_to(at(16, 30, 1), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 0
    assert SchoolRound.objects.get().state == SchoolRound.State.PREPARED
    time_machine.move_to(at(16, 45), tick=False)
    assert step(client, staff, "confirm").status_code == 302
    time_machine.move_to(at(17, 29, 59), tick=False)
    assert step(client, director, "certify", {"decision": "certify"}).status_code == 302
    assert SchoolRound.objects.get().state == SchoolRound.State.CERTIFIED
    # The change is logged, and the round's page shows it in Buddhist dates.
    change = RoundChange.objects.get()
    assert change.changed_by == ministry_admin
    assert change.before == {
        "confirm_closes": "2026-11-10T16:30:00+07:00",
        "certify_closes": "2026-11-10T16:30:00+07:00",
    }
    assert change.after["certify_closes"] == "2026-11-10T17:30:00+07:00"
    client.force_login(ministry_admin)
    page = client.get(reverse("workflows:round_edit", args=[round2.pk])).content.decode()
    assert "10 พ.ย. 2569 16:30" in page and "10 พ.ย. 2569 17:30" in page
    assert ministry_admin.display_name in page


def test_a_school_still_waiting_at_the_extended_close_is_missed_then(
    client, opened, staff, ministry_admin, round2, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(16, 20), tick=False)
    change_round(client, ministry_admin, round2, **EXTENDED)
    time_machine.move_to(at(17, 29, 59), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 0
    time_machine.move_to(at(17, 30, 1), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 1
    assert SchoolRound.objects.get().state == SchoolRound.State.MISSED


SHORTENED = {"confirm_closes": "2026-11-10T15:00", "certify_closes": "2026-11-10T15:00"}


@pytest.mark.parametrize("moment,allowed", [(at(14, 59, 59), True), (at(15, 0), False)])
def test_a_shortened_window_is_enforced_at_its_new_close(
    client, opened, staff, ministry_admin, round2, time_machine, moment, allowed
):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(at(12, 0), tick=False)
    assert change_round(client, ministry_admin, round2, **SHORTENED).status_code == 302
    time_machine.move_to(moment, tick=False)
    response = step(client, staff, "confirm")
    if allowed:
        assert response.status_code == 302
        assert SchoolRound.objects.get().state == SchoolRound.State.CONFIRMED
    else:
        assert response.status_code == 200
        assert "ยืนยันข้อมูลได้เฉพาะ" in response.content.decode()
        assert SchoolRound.objects.get().state == SchoolRound.State.PREPARED


def test_a_school_waiting_at_the_shortened_close_is_missed_then(
    client, opened, ministry_admin, round2, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(12, 0), tick=False)
    change_round(client, ministry_admin, round2, **SHORTENED)
    time_machine.move_to(at(14, 59, 59), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 0
    time_machine.move_to(at(15, 0, 1), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 1
    assert SchoolRound.objects.get().state == SchoolRound.State.MISSED


def test_shortening_a_window_to_a_close_already_past_is_refused(
    client, opened, ministry_admin, round2, time_machine
):
    time_machine.move_to(at(15, 30), tick=False)
    response = change_round(client, ministry_admin, round2, **SHORTENED)
    assert response.status_code == 200
    assert "เวลาปิดนี้ผ่านไปแล้ว (ขณะนี้ 10 พ.ย. 2569 15:30)" in response.content.decode()
    round2.refresh_from_db()
    opened.refresh_from_db()
    assert round2.certify_closes == opened.deadline == _timer(opened).scheduled == at(16, 30)
    assert not RoundChange.objects.exists()


@pytest.mark.parametrize("moment,allowed", [(at(16, 29, 59), True), (at(16, 30), False)])
def test_a_close_can_be_extended_until_it_has_passed(
    client, opened, ministry_admin, round2, time_machine, moment, allowed
):
    time_machine.move_to(moment, tick=False)
    response = change_round(client, ministry_admin, round2, **EXTENDED)
    round2.refresh_from_db()
    opened.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert round2.certify_closes == opened.deadline == at(17, 30)
    else:
        assert response.status_code == 200
        assert "10 พ.ย. 2569 16:30 ผ่านไปแล้ว เวลานี้แก้ไขไม่ได้อีก" in response.content.decode()
        assert round2.certify_closes == opened.deadline == at(16, 30)


def test_a_timer_found_due_just_before_the_close_moved_later_does_not_miss_the_school(
    client, opened, staff, ministry_admin, round2, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(at(16, 29, 59), tick=False)
    change_round(client, ministry_admin, round2, **EXTENDED)
    # What a dispatcher sweeping at 16:30 holds when it read the due timers before the change
    # committed: the old moment (it fires what it read, and never reads the moment again).
    Task.objects.filter(pk=_timer(opened).pk).update(scheduled=at(16, 30))
    time_machine.move_to(at(16, 30, 1), tick=False)
    assert _fire(django_capture_on_commit_callbacks) == 1
    assert SchoolRound.objects.get().state == SchoolRound.State.PREPARED
    assert _timer(opened).scheduled == at(17, 30)  # the confirm step is back, with its timeout
    time_machine.move_to(at(16, 45), tick=False)
    assert step(client, staff, "confirm").status_code == 302


def test_moving_the_count_day_moves_its_windows_and_the_id_correction_cutoff(
    client, ministry_admin, round2, time_machine
):
    time_machine.move_to(at(10, 0, day=date(2026, 10, 1)), tick=False)
    response = change_round(
        client, ministry_admin, round2, as_of="2026-11-11", certify_closes="2026-11-11T17:00"
    )
    assert response.status_code == 302
    round2.refresh_from_db()
    day = date(2026, 11, 11)
    assert round2.as_of == day
    assert (round2.confirm_opens, round2.confirm_closes) == (at(8, 0, day=day), at(16, 30, day=day))
    assert (round2.certify_opens, round2.certify_closes) == (at(8, 30, day=day), at(17, 0, day=day))
    assert round2.id_correction_cutoff == at(16, 30, day=day)


@pytest.mark.parametrize("moment,allowed", [(at(7, 59, 59), True), (at(8, 0), False)])
def test_the_count_day_cannot_move_once_a_window_has_opened(
    client, ministry_admin, round2, time_machine, moment, allowed
):
    time_machine.move_to(moment, tick=False)
    response = change_round(client, ministry_admin, round2, as_of="2026-11-11")
    round2.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert round2.as_of == date(2026, 11, 11)
    else:
        assert response.status_code == 200
        assert "ไม่ได้เมื่อช่วงเวลาของรอบนี้เปิดแล้ว" in response.content.decode()
        assert round2.as_of == date(2026, 11, 10)


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer"])
def test_only_the_ministry_moves_a_rounds_deadline(
    client, opened, round2, request, time_machine, persona
):
    time_machine.move_to(at(16, 20), tick=False)
    response = change_round(client, request.getfixturevalue(persona), round2, **EXTENDED)
    assert response.status_code == 403
    opened.refresh_from_db()
    assert opened.deadline == _timer(opened).scheduled == at(16, 30)
    assert not RoundChange.objects.exists()


def test_a_buddhist_year_typed_into_the_rounds_dates_is_understood(
    client, round2, ministry_admin, time_machine
):
    # The as-of date typed as day/month/BE year; a close whose year was typed as 2569 into the
    # browser's date-and-time field: both are 2026, not an error and not the year 2569.
    time_machine.move_to(at(9, 0, day=date(2026, 11, 1)), tick=False)
    response = change_round(
        client, ministry_admin, round2, as_of="10/11/2569", certify_closes="2569-11-10T17:30"
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    round2.refresh_from_db()
    assert round2.as_of == date(2026, 11, 10)
    assert round2.certify_closes == at(17, 30)
