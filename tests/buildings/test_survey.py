"""The building survey flow over HTTP as each persona, with the window at its edges."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from viewflow.workflow.models import Task

from buildings.models import SchoolSurvey
from buildings.services import school_survey_open
from documents.models import Kind, SignedDocument
from workflows.building_survey import survey_start
from workflows.models import BuildingSurveyProcess
from workflows.tasks import fire_workflow_timers, open_due_survey_years

from .conftest import at, make_building, step, take


def test_staff_enter_and_director_certify_sign_the_record_once(
    client, opened, school, staff, director, time_machine
):
    time_machine.move_to(at(10, 5, 9, 0), tick=False)
    client.force_login(staff)
    response = client.post(
        reverse("buildings:add", args=[school.code]),
        {
            "kind": "hall", "name": "หอประชุม", "design_code": "สปช.202/26", "year_built": "2538",
            "rooms_design": "0", "rooms_in_use": "0", "floor_area_m2": "468", "funding": "budget",
            "condition": "very_poor", "in_use": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302
    survey = SchoolSurvey.objects.get(school=school)
    assert survey.state == SchoolSurvey.State.IN_PROGRESS
    assert step(client, staff, "enter", school).status_code == 302
    survey.refresh_from_db()
    assert survey.state == SchoolSurvey.State.SUBMITTED and survey.submitted_by == staff
    url = take(client, director, "certify", school)
    assert client.post(url, {"decision": "certify"}).status_code == 302
    # a second click on the same page acts once
    assert client.post(url, {"decision": "certify"}).status_code in (302, 403)
    survey.refresh_from_db()
    assert survey.state == SchoolSurvey.State.CERTIFIED and survey.certified_by == director
    assert survey.summary["buildings"] == 2
    assert survey.summary["classrooms_in_use"] == 2
    assert survey.summary["floor_area_m2"] == "900.00"
    assert survey.summary["by_kind"]["hall"]["very_poor"] == 1
    assert [p["name"] for p in survey.summary["poor"]] == ["หอประชุม"]
    record = SignedDocument.objects.get(kind=Kind.BUILDING_SURVEY)
    assert record.school == school and record.actor == director
    assert BuildingSurveyProcess.objects.get(school=school).status == "DONE"


def test_director_sends_back_then_staff_submit_again(
    client, opened, school, staff, director, time_machine
):
    time_machine.move_to(at(10, 5, 9, 0), tick=False)
    step(client, staff, "enter", school)
    response = step(
        client, director, "certify", school, {"decision": "reject", "reason": "ห้องเรียนไม่ครบ"}
    )
    assert response.status_code == 302
    survey = SchoolSurvey.objects.get(school=school)
    assert survey.state == SchoolSurvey.State.IN_PROGRESS
    assert survey.last_rejection == "ห้องเรียนไม่ครบ"
    assert step(client, staff, "enter", school).status_code == 302
    assert SchoolSurvey.objects.get(school=school).state == SchoolSurvey.State.SUBMITTED
    assert not SignedDocument.objects.exists()


@pytest.mark.parametrize(
    "moment,allowed",
    [
        (at(10, 30, 16, 29, 59), True),
        (at(10, 30, 16, 30, 0), False),
        (at(10, 1, 0, 0, 0), True),
        (at(9, 30, 23, 59, 59), False),
    ],
)
def test_certify_window_edges(
    client, survey_year, school, staff, director, time_machine, moment, allowed
):
    # Started early by hand (the command), so that the window alone decides.
    time_machine.move_to(at(9, 30, 12, 0), tick=False)
    make_building(school)
    survey, _ = school_survey_open(survey_year=survey_year, school=school)
    survey_start(school_survey=survey)
    SchoolSurvey.objects.filter(pk=survey.pk).update(state=SchoolSurvey.State.SUBMITTED)
    BuildingSurveyProcess.objects.filter(school=school).update(deadline=at(10, 31, 0, 0))
    Task.objects.filter(flow_task_type="TIMER").delete()  # keep the timer out of the edge test
    with_enter_done = Task.objects.get(flow_task_type="HUMAN", status="NEW")
    with with_enter_done.activation() as activation:
        activation.assign(staff)
        activation.start(None)
        activation.execute()
    time_machine.move_to(moment, tick=False)
    response = step(client, director, "certify", school, {"decision": "certify"})
    survey.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert survey.state == SchoolSurvey.State.CERTIFIED
        assert SignedDocument.objects.filter(kind=Kind.BUILDING_SURVEY).count() == 1
    else:
        assert response.status_code == 200
        assert "ส่งและรับรองข้อมูลสิ่งก่อสร้างได้เฉพาะ" in response.content.decode()
        assert survey.state == SchoolSurvey.State.SUBMITTED
        assert not SignedDocument.objects.exists()


@pytest.mark.parametrize(
    "moment,allowed", [(at(10, 30, 16, 29, 59), True), (at(10, 30, 16, 30), False)]
)
def test_submit_window_edges(client, opened, school, staff, time_machine, moment, allowed):
    time_machine.move_to(moment, tick=False)
    response = step(client, staff, "enter", school)
    state = SchoolSurvey.objects.get(school=school).state
    assert (response.status_code == 302) == allowed
    assert (state == SchoolSurvey.State.SUBMITTED) == allowed


def test_survey_opens_at_midnight_on_1_october(survey_year, school, time_machine):
    time_machine.move_to(at(9, 30, 23, 59, 59), tick=False)
    assert open_due_survey_years.apply().get() == 0
    assert not BuildingSurveyProcess.objects.exists()
    time_machine.move_to(at(10, 1, 0, 0, 0), tick=False)
    assert open_due_survey_years.apply().get() == 1
    assert open_due_survey_years.apply().get() == 0  # once
    process = BuildingSurveyProcess.objects.get(school=school)
    assert process.deadline == at(10, 30, 16, 30)
    assert Task.objects.get(process=process, flow_task_type="HUMAN").flow_task.name == "enter"


def test_command_opens_a_year(db, school, time_machine):
    time_machine.move_to(at(10, 2, 9, 0), tick=False)
    out = StringIO()
    call_command("survey_open", "--year", "2569", "--create", stdout=out)
    assert "1 processes started" in out.getvalue()
    assert BuildingSurveyProcess.objects.filter(school=school).count() == 1


def test_missed_school_is_told_and_excluded(
    client,
    opened,
    school,
    staff,
    director,
    area_officer,
    time_machine,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to(at(10, 20, 9, 0), tick=False)
    step(client, staff, "enter", school)  # submitted, but the director never certifies
    time_machine.move_to(at(10, 30, 16, 30, 1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_workflow_timers.apply().get() >= 1
    survey = SchoolSurvey.objects.get(school=school)
    assert survey.state == SchoolSurvey.State.MISSED
    assert BuildingSurveyProcess.objects.get(school=school).status == "DONE"
    sent = [m for m in mail.outbox if "2569" in m.subject]
    assert len(sent) == 1 and sorted(sent[0].to) == sorted([staff.email, director.email])
    assert "2571" in sent[0].body
    client.force_login(area_officer)
    response = client.get(reverse("buildings:area_budget", args=[school.area_office.code]))
    assert response.status_code == 200
    excluded = response.context["listing"].excluded
    assert [(r.school, r.exclusion) for r in excluded] == [(school, "missed")]
    assert not response.context["listing"].eligible
    assert "ไม่ทันกำหนด" in response.content.decode()
    # nothing can be certified now
    assert not Task.objects.filter(
        process__buildingsurveyprocess__school=school, status__in=["NEW", "ASSIGNED"]
    ).exists()


def test_staff_cannot_certify_and_director_cannot_enter(
    client, opened, school, staff, director, time_machine
):
    time_machine.move_to(at(10, 5, 9, 0), tick=False)
    enter = Task.objects.get(process__buildingsurveyprocess__school=school, flow_task_type="HUMAN")
    client.force_login(director)
    assert client.post(reverse("workflows:take", args=[enter.pk])).status_code == 404
    step(client, staff, "enter", school)
    certify = Task.objects.get(
        process__buildingsurveyprocess__school=school, flow_task_type="HUMAN", status="NEW"
    )
    client.force_login(staff)
    assert client.post(reverse("workflows:take", args=[certify.pk])).status_code == 404
    execute = certify.flow_task.reverse("execute", args=[certify.process_id, certify.pk])
    assert client.post(execute, {"decision": "certify"}).status_code == 403
    assert SchoolSurvey.objects.get(school=school).state == SchoolSurvey.State.SUBMITTED


def test_other_school_director_cannot_take_the_task(
    client, opened, school, staff, other_school_director, time_machine
):
    time_machine.move_to(at(10, 5, 9, 0), tick=False)
    step(client, staff, "enter", school)
    certify = Task.objects.get(
        process__buildingsurveyprocess__school=school, flow_task_type="HUMAN", status="NEW"
    )
    client.force_login(other_school_director)
    assert client.post(reverse("workflows:take", args=[certify.pk])).status_code == 404
    detail = BuildingSurveyProcess.objects.get(school=school)
    url = certify.flow_task.flow_class.instance.reverse("process_detail", args=[detail.pk])
    assert client.get(url).status_code == 404


def test_inbox_lists_the_survey_task(client, opened, school, staff):
    client.force_login(staff)
    rows = client.get(reverse("workflows:inbox")).context["rows"]
    assert [r.school for r in rows] == [school]
    assert "B-OBEC" in rows[0].process.brief


def test_register_is_locked_once_certified(client, certified, school, staff):
    client.force_login(staff)
    response = client.get(reverse("buildings:register", args=[school.code]))
    assert response.context["can_edit"] is False
    response = client.post(
        reverse("buildings:add", args=[school.code]),
        {"kind": "toilet", "name": "ส้วม", "year_built": "2550", "rooms_design": "0",
         "rooms_in_use": "0", "floor_area_m2": "30", "funding": "budget", "condition": "good"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "รับรองแล้ว แก้ไขได้ในการส" in response.content.decode()


def _move_close_in_admin(client, user, survey_year, closes_day):
    client.force_login(user)
    return client.post(
        reverse("admin:buildings_surveyyear_change", args=[survey_year.pk]),
        {
            "year": survey_year.year,
            "opens_0": "2026-10-01",
            "opens_1": "00:00:00",
            "closes_0": f"2026-10-{closes_day}",
            "closes_1": "16:30:00",
        },
    )


def _armed_timers(school):
    return set(
        Task.objects.filter(
            process__buildingsurveyprocess__school=school,
            flow_task_type="TIMER",
            status="SCHEDULED",
        ).values_list("scheduled", flat=True)
    )


def test_ministry_admin_moving_the_close_moves_the_open_processes_deadline_and_timers(
    client, opened, school, ministry_admin, time_machine
):
    time_machine.move_to(at(10, 20, 9, 0), tick=False)
    assert _armed_timers(school) == {at(10, 30, 16, 30)}
    response = _move_close_in_admin(client, ministry_admin, opened, 31)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert BuildingSurveyProcess.objects.get(school=school).deadline == at(10, 31, 16, 30)
    assert _armed_timers(school) == {at(10, 31, 16, 30)}


def test_area_officer_cannot_move_the_survey_close(
    client, opened, school, area_officer, time_machine
):
    time_machine.move_to(at(10, 20, 9, 0), tick=False)
    response = _move_close_in_admin(client, area_officer, opened, 31)
    assert response.status_code in (302, 403)
    opened.refresh_from_db()
    assert opened.closes == at(10, 30, 16, 30)
    assert _armed_timers(school) == {at(10, 30, 16, 30)}


def test_beat_opens_the_survey_years_with_the_workflows_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["open-due-survey-years"]
    assert entry["task"] == open_due_survey_years.name == "workflows.tasks.open_due_survey_years"


def test_the_beat_row_of_the_old_survey_task_is_moved_to_the_workflows_task(transactional_db):
    executor = MigrationExecutor(connection)
    before = [("workflows", "0004_inbox_open_task_index")]
    after = [("workflows", "0005_beat_opens_survey_years_from_workflows")]
    executor.migrate(before)
    try:
        every_5_min = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(
            name="open-due-survey-years",
            task="buildings.tasks.open_due_survey_years",
            interval=every_5_min,
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert PeriodicTask.objects.get(name="open-due-survey-years").task == (
            "workflows.tasks.open_due_survey_years"
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
