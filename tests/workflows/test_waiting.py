"""What waits for each person, on their home page and beside "My tasks" in the menu."""

import re
from datetime import date

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from .helpers import at, run_to_certify, step

ROUND_OPENS = date(2026, 11, 1)
QUERIES_COUNT = 3  # the session, the user, the count
QUERIES_HOME = 8


def waiting_card(client) -> str:
    body = client.get(reverse("home")).content.decode()
    return re.search(r'<div class="dmc-card" id="waiting">(.*?)</div>', body, re.S).group(1)


def badge(client) -> str:
    return client.get(reverse("workflows:waiting_count")).content.decode()


def test_each_persona_sees_what_waits_for_them_through_the_count_day(
    client, opened, staff, director, area_officer, time_machine
):
    time_machine.move_to(at(9, 0), tick=False)
    client.force_login(staff)
    assert "ตรวจสอบและเตรียมข้อมูล: รอท่าน 1 งาน" in waiting_card(client)
    client.force_login(director)
    assert "ไม่มีงานรอท่านในขณะนี้" in waiting_card(client)

    run_to_certify(client, staff, director, time_machine)
    client.force_login(staff)
    assert "ไม่มีงานรอท่านในขณะนี้" in waiting_card(client)  # a finished step is not offered
    client.force_login(director)
    card = waiting_card(client)
    assert "รับรองข้อมูล (ผู้อำนวยการ): รอท่าน 1 งาน" in card
    certify = Task.objects.get(status="NEW", flow_task_type="HUMAN")
    assert reverse("workflows:take", args=[certify.pk]) in card
    assert "เปิดงาน" in card

    time_machine.move_to(at(9, 0), tick=False)
    step(client, director, "certify", {"decision": "certify"})
    client.force_login(area_officer)
    assert "รับทราบการรับรอง (เขตพื้นที่): รอท่าน 1 งาน" in waiting_card(client)


def test_the_home_pages_button_opens_the_waiting_task(client, opened, staff, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    client.force_login(staff)
    action = re.search(r'<form method="post" action="([^"]+)"', waiting_card(client)).group(1)
    response = client.post(action)
    assert response.status_code == 302 and "/prepare/" in response["Location"]


def test_the_menu_count_follows_the_tasks(client, opened, staff, director, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    client.force_login(staff)
    assert 'hx-get="/workflows/waiting-count/"' in client.get(reverse("home")).content.decode()
    response = client.get(reverse("workflows:waiting_count"))
    assert "no-store" in response["Cache-Control"]
    assert '<span aria-hidden="true">1</span>' in response.content.decode()
    assert "งานรอท่าน 1 งาน" in response.content.decode()
    run_to_certify(client, staff, director, time_machine)
    client.force_login(staff)
    assert 'aria-hidden="true"' not in badge(client)
    client.force_login(director)
    assert '<span aria-hidden="true">1</span>' in badge(client)


def test_other_schools_tasks_are_not_counted(client, opened, other_school_staff, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    client.force_login(other_school_staff)
    assert 'aria-hidden="true"' not in badge(client)
    assert "ไม่มีงานรอท่านในขณะนี้" in waiting_card(client)


@pytest.mark.django_db
def test_the_menu_count_needs_a_login(client):
    response = client.get(reverse("workflows:waiting_count"))
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("schools", [1, 60])
def test_the_count_and_the_home_page_take_a_fixed_number_of_queries(
    client, round2, schools, django_assert_num_queries, time_machine
):
    from accounts.models import Role
    from accounts.services import membership_create
    from workflows.services import round_open

    from ..factories import AreaOfficeFactory, SchoolFactory, UserFactory

    area = AreaOfficeFactory()
    staff = UserFactory()
    for _ in range(schools):
        membership_create(user=staff, role=Role.STAFF, school=SchoolFactory(area_office=area))
    time_machine.move_to(at(7, 0, day=ROUND_OPENS), tick=False)
    round_open(round=round2)
    client.force_login(staff)
    client.get(reverse("home"))  # warm the content types
    with django_assert_num_queries(QUERIES_COUNT):
        assert f'<span aria-hidden="true">{schools}</span>' in badge(client)
    with django_assert_num_queries(QUERIES_HOME):
        assert f"รอท่าน {schools} งาน" in client.get(reverse("home")).content.decode()


# --- a locked roster says so -----------------------------------------------------------------


def roster_page(client, school) -> str:
    return client.get(reverse("schools:roster", args=[school.code])).content.decode()


def test_a_locked_roster_says_so_and_its_edit_buttons_are_disabled(
    client, opened, staff, director, time_machine
):
    add = reverse("schools:add", args=[opened.school.code])
    upload = reverse("schools:upload", args=[opened.school.code])
    time_machine.move_to(at(9, 0), tick=False)
    client.force_login(staff)
    page = roster_page(client, opened.school)
    assert 'id="roster-locked"' not in page and f'href="{add}"' in page
    run_to_certify(client, staff, director, time_machine)  # confirmed: waits for the director
    for user in (staff, director):
        client.force_login(user)
        page = roster_page(client, opened.school)
        assert "ข้อมูลถูกล็อก" in page
    client.force_login(staff)
    page = roster_page(client, opened.school)
    roster_file = reverse("schools:roster_import", args=[opened.school.code])
    assert f'href="{add}"' not in page and f'href="{upload}"' not in page
    assert f'href="{roster_file}"' not in page
    assert page.count('aria-disabled="true"') == 7
    step(client, director, "certify", {"decision": "reject", "reason": "ยังขาดนักเรียน 1 คน"})
    client.force_login(staff)
    page = roster_page(client, opened.school)  # sent back: open again
    assert "ข้อมูลถูกล็อก" not in page and f'href="{add}"' in page


def test_the_director_is_asked_to_confirm_the_counts_before_certifying(
    client, opened, staff, director, time_machine
):
    from .helpers import open_task

    run_to_certify(client, staff, director, time_machine)
    client.force_login(director)
    page = client.get(open_task(client, director, "certify")).content.decode()
    assert '<input type="checkbox" id="attest" name="attest" required>' in page
    assert "นักเรียน 4 คน (ชาย 4 หญิง 0)" in page  # the counts being certified, in the question
    assert "รับรองข้อมูลนักเรียน 4 คน" in page
    assert 'value="reject" formnovalidate' in page  # sending back needs no tick
