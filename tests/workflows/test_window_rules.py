"""Which window each step of the count day uses, at its edges, over HTTP as the persona who takes
the step (issue 24, docs/mutation.md): confirm by the confirm window (08:00–16:30), certify and
send back by the certify window (08:30–16:30); each refusal names its own window."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from census.models import RosterSnapshot, SchoolRound
from census.services import school_round_certify, school_round_confirm, school_round_reject
from documents.models import Kind, SignedDocument

from .helpers import at, step

CONFIRM_REFUSED = "ยืนยันข้อมูลได้เฉพาะ 10 พ.ย. 2569 08:00–16:30 น."
CERTIFY_REFUSED = "รับรองข้อมูลได้เฉพาะ 10 พ.ย. 2569 08:30–16:30 น."
REASON = "ตัวเลขชั้น ป.3 ไม่ตรงกับสมุดทะเบียน"


def confirmed_at(client, staff, time_machine, hh=8, mm=0):
    time_machine.move_to(at(hh, mm), tick=False)
    assert step(client, staff, "prepare").status_code == 302
    assert step(client, staff, "confirm").status_code == 302
    assert SchoolRound.objects.get().state == SchoolRound.State.CONFIRMED


def test_confirming_at_0800_uses_the_confirm_window_not_the_later_certify_opening(
    client, opened, staff, time_machine
):
    # 08:00 is inside the confirm window and before the certify window opens at 08:30.
    confirmed_at(client, staff, time_machine, 8, 0)
    school_round = SchoolRound.objects.get()
    assert school_round.confirmed_by == staff
    assert school_round.confirmed_at == at(8, 0)


@pytest.mark.parametrize("moment", [at(7, 59, 59), at(16, 30), at(9, 0, day=date(2026, 11, 11))])
def test_confirming_outside_the_confirm_window_names_the_confirm_window(
    client, opened, staff, time_machine, moment
):
    time_machine.move_to(at(7, 0), tick=False)
    step(client, staff, "prepare")
    time_machine.move_to(moment, tick=False)
    response = step(client, staff, "confirm")
    assert response.status_code == 200
    body = response.content.decode()
    assert CONFIRM_REFUSED in body and CERTIFY_REFUSED not in body
    # The round's own window: the area office has none of its own, so the refusal names no area.
    assert response.context["errors"] == [CONFIRM_REFUSED]
    assert SchoolRound.objects.get().state == SchoolRound.State.PREPARED
    assert not SignedDocument.objects.filter(kind=Kind.CONFIRMATION).exists()


@pytest.mark.parametrize("moment", [at(8, 29, 59), at(16, 30), at(23, 0)])
def test_the_directors_send_back_outside_the_certify_window_is_refused_naming_it(
    client, opened, staff, director, time_machine, moment
):
    confirmed_at(client, staff, time_machine)
    time_machine.move_to(moment, tick=False)
    response = step(client, director, "certify", {"decision": "reject", "reason": REASON})
    assert response.status_code == 200
    body = response.content.decode()
    assert CERTIFY_REFUSED in body and CONFIRM_REFUSED not in body
    school_round = SchoolRound.objects.get()
    assert school_round.state == SchoolRound.State.CONFIRMED
    assert school_round.last_rejection == "" and school_round.rejected_by is None


@pytest.mark.parametrize("moment", [at(8, 30), at(16, 29, 59)])
def test_the_directors_send_back_inside_the_certify_window_returns_the_data_to_the_staff(
    client, opened, staff, director, time_machine, moment
):
    confirmed_at(client, staff, time_machine)
    time_machine.move_to(moment, tick=False)
    response = step(client, director, "certify", {"decision": "reject", "reason": REASON})
    assert response.status_code == 302
    school_round = SchoolRound.objects.get()
    assert school_round.state == SchoolRound.State.PREPARED
    assert school_round.last_rejection == REASON
    assert school_round.rejected_by == director and school_round.rejected_at == moment
    assert not RosterSnapshot.objects.exists()


def test_certifying_before_0830_names_the_certify_window_though_confirming_is_open(
    client, opened, staff, director, time_machine
):
    confirmed_at(client, staff, time_machine, 8, 0)
    time_machine.move_to(at(8, 29, 59), tick=False)
    response = step(client, director, "certify", {"decision": "certify"})
    assert response.status_code == 200
    body = response.content.decode()
    assert CERTIFY_REFUSED in body and CONFIRM_REFUSED not in body
    assert response.context["errors"] == [CERTIFY_REFUSED]  # the round's window, no area named
    assert SchoolRound.objects.get().state == SchoolRound.State.CONFIRMED
    assert not RosterSnapshot.objects.exists()


def test_a_certification_is_dated_and_signed_by_the_director_at_the_moment_it_is_made(
    client, opened, staff, director, time_machine
):
    confirmed_at(client, staff, time_machine)
    time_machine.move_to(at(16, 29, 59), tick=False)
    assert step(client, director, "certify", {"decision": "certify"}).status_code == 302
    school_round = SchoolRound.objects.get()
    assert school_round.state == SchoolRound.State.CERTIFIED
    assert school_round.certified_by == director
    assert school_round.certified_at == at(16, 29, 59)
    snapshot = RosterSnapshot.objects.get()
    assert snapshot.certified_at == at(16, 29, 59) and snapshot.certified_by == director


def test_a_send_back_dated_outside_the_certify_window_is_refused_whatever_the_clock(
    round2, school, director, time_machine
):
    # The step is checked at the moment it is dated (a replayed history), not at the clock's.
    time_machine.move_to(at(10, 0), tick=False)
    school_round = SchoolRound.objects.create(
        round=round2, school=school, state=SchoolRound.State.CONFIRMED
    )
    with pytest.raises(ValidationError) as caught:
        school_round_reject(school_round=school_round, actor=director, reason=REASON, at=at(16, 30))
    assert caught.value.code == "window"
    rejected = school_round_reject(
        school_round=school_round, actor=director, reason=REASON, at=at(9, 15)
    )
    assert rejected.state == SchoolRound.State.PREPARED and rejected.rejected_at == at(9, 15)


def test_a_certification_dated_inside_the_certify_window_is_taken_whatever_the_clock(
    round2, school, director, time_machine
):
    time_machine.move_to(at(18, 0), tick=False)  # the clock past 16:30: the date given decides
    school_round = SchoolRound.objects.create(
        round=round2, school=school, state=SchoolRound.State.CONFIRMED
    )
    with pytest.raises(ValidationError) as caught:
        school_round_certify(school_round=school_round, actor=director, at=at(8, 29, 59))
    assert caught.value.code == "window"
    snapshot = school_round_certify(school_round=school_round, actor=director, at=at(16, 29, 59))
    assert snapshot.certified_at == at(16, 29, 59)
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CERTIFIED


def test_a_confirmation_outside_its_window_is_refused_with_the_window_code(
    round2, school, staff, time_machine
):
    time_machine.move_to(at(10, 0), tick=False)
    school_round = SchoolRound.objects.create(
        round=round2, school=school, state=SchoolRound.State.PREPARED
    )
    with pytest.raises(ValidationError) as caught:
        school_round_confirm(school_round=school_round, actor=staff, at=at(7, 59, 59))
    assert caught.value.code == "window"
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.PREPARED
