"""The citizen-ID correction request's refusals, each by its own message, and the cut-off's notice
(issue 24, docs/mutation.md). Through the service, as the request page calls it, and over HTTP
where the page shows the refusal."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from census.models import Round
from census.services import id_correction_freeze_ends, id_corrections_frozen_by
from schools.models import EnrollmentStatus, Grade, StudentDocument
from workflows.models import IdCorrectionProcess
from workflows.requests import (
    id_correction_decide,
    id_correction_request,
    id_corrections_freeze_notice,
)

from ..factories import EnrollmentFactory, StudentFactory, make_citizen_id
from .helpers import COUNT_DAY, at
from .test_approvals import pdf, request_correction


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, started_on=date(2026, 5, 16))


def refusal(**kwargs) -> tuple[str | None, dict | list]:
    """Return the code and the English messages (by field, if any) of the refused request."""
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            id_correction_request(**kwargs)
        error = caught.value
        if hasattr(error, "error_dict"):
            return None, {k: [str(m) for m in v] for k, v in error.message_dict.items()}
        return error.code, [str(m) for m in error.messages]


def ask(learner, staff, new_id, evidence=None):
    return dict(
        student=learner.student, school=learner.school, actor=staff, new_citizen_id=new_id,
        evidence=[pdf()] if evidence is None else evidence,
    )  # fmt: skip


def test_a_request_for_a_learner_not_enrolled_here_is_refused(school, staff, id_approver):
    ended = EnrollmentFactory(
        school=school, status=EnrollmentStatus.TRANSFERRED_OUT, ended_on=date(2026, 6, 1)
    )
    assert refusal(**ask(ended, staff, make_citizen_id())) == (
        None, ["This learner is not enrolled here."],
    )  # fmt: skip
    assert not IdCorrectionProcess.objects.exists()


def test_a_request_for_a_learner_of_another_school_is_refused(
    school, other_school, staff, id_approver
):
    elsewhere = EnrollmentFactory(school=other_school)
    kwargs = ask(elsewhere, staff, make_citizen_id()) | {"school": school}
    assert refusal(**kwargs) == (None, ["This learner is not enrolled here."])


def test_the_current_id_as_the_new_one_is_refused(learner, staff, id_approver):
    assert refusal(**ask(learner, staff, learner.student.citizen_id)) == (
        None, {"new_citizen_id": ["The new ID is the current one."]},
    )  # fmt: skip


def test_an_id_held_by_another_learner_is_refused(learner, staff, id_approver):
    other = StudentFactory()
    assert refusal(**ask(learner, staff, other.citizen_id)) == (
        None, {"new_citizen_id": ["This ID belongs to another learner."]},
    )  # fmt: skip


def test_an_id_with_a_wrong_check_digit_is_refused_before_anything_is_asked(
    learner, staff, id_approver
):
    good = make_citizen_id()
    wrong = good[:12] + str((int(good[12]) + 1) % 10)
    assert refusal(**ask(learner, staff, wrong)) == (
        "check_digit", ["The citizen ID is not valid (wrong check digit)."],
    )  # fmt: skip


def test_a_second_request_while_one_waits_is_refused(learner, staff, id_approver):
    id_correction_request(**ask(learner, staff, make_citizen_id()))
    assert refusal(**ask(learner, staff, make_citizen_id())) == (
        "pending", ["A request is already waiting."],
    )  # fmt: skip
    assert IdCorrectionProcess.objects.count() == 1


def test_a_request_with_no_approver_set_up_is_refused(learner, staff):
    assert refusal(**ask(learner, staff, make_citizen_id())) == (
        "no_approver", ["No approver is set up yet."],
    )  # fmt: skip


def test_a_request_without_evidence_is_refused(learner, staff, id_approver):
    assert refusal(**ask(learner, staff, make_citizen_id(), evidence=[])) == (
        None, {"evidence": ["Attach the evidence."]},
    )  # fmt: skip


def test_a_request_in_thai_digits_asks_for_the_id_in_ascii(learner, staff, id_approver):
    new_id = make_citizen_id()
    thai = new_id.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    process = id_correction_request(**ask(learner, staff, thai))
    assert process.new_citizen_id == new_id


# --- the cut-off's notice ---------------------------------------------------------------------------


def test_the_freeze_notice_names_the_round_the_cutoff_and_its_end(round2, time_machine):
    time_machine.move_to(at(16, 30), tick=False)
    with translation.override("en"):
        sending = id_corrections_freeze_notice(deciding=False)
        deciding = id_corrections_freeze_notice(deciding=True)
    assert sending == (
        "Citizen-ID corrections are frozen for the count day of Round 2569/2 · 10 Nov 2026, from 10 Nov 2026 "
        "16:30 until 11 Nov 2026 00:00: send the request from 11 Nov 2026 00:00."
    )
    assert deciding == (
        "Citizen-ID corrections are frozen for the count day of Round 2569/2 · 10 Nov 2026, from 10 Nov 2026 "
        "16:30 until 11 Nov 2026 00:00. The request stays waiting: decide it from 11 Nov 2026 00:00."
    )


@pytest.mark.parametrize("moment", [at(16, 29, 59), at(0, 0, day=date(2026, 11, 11))])
def test_no_notice_outside_the_freeze(round2, time_machine, moment):
    time_machine.move_to(moment, tick=False)
    assert id_corrections_freeze_notice(deciding=False) == ""
    assert id_corrections_freeze_notice(deciding=True) == ""


def test_the_request_page_shows_the_freeze_notice_at_the_cutoff_minute(
    client, staff, id_approver, learner, round2, time_machine
):
    time_machine.move_to(at(16, 30, day=COUNT_DAY), tick=False)
    response = request_correction(client, staff, learner, make_citizen_id())
    assert response.status_code == 200
    body = response.content.decode()
    assert "รอบ 2569/2 · 10 พ.ย. 2569" in body and "11 พ.ย. 2569" in body
    assert not IdCorrectionProcess.objects.exists()


# --- the cut-off as a property: drawn around the minute on purpose -----------------------------------

CUTOFF = at(16, 30)
DAY_ENDS = at(0, 0, day=date(2026, 11, 11))
moments = st.one_of(
    st.integers(-120, 120).map(lambda s: CUTOFF + timedelta(seconds=s)),
    st.integers(-120, 120).map(lambda s: DAY_ENDS + timedelta(seconds=s)),
    st.integers(0, 3 * 86400).map(lambda s: at(0, 0, day=date(2026, 11, 9)) + timedelta(seconds=s)),
)


@given(moment=moments)
@example(moment=CUTOFF)  # the cut-off minute itself: frozen
@example(moment=CUTOFF - timedelta(microseconds=1))  # the instant before: open
@example(moment=DAY_ENDS - timedelta(microseconds=1))  # the count day's last instant: frozen
@example(moment=DAY_ENDS)  # the next day: open (the certify window closed at 16:30)
def test_corrections_are_frozen_exactly_from_the_cutoff_to_the_end_of_the_count_day(round2, moment):
    frozen = id_corrections_frozen_by(at=moment)
    assert (frozen == round2) is (CUTOFF <= moment < DAY_ENDS)
    if frozen is None:
        assert id_corrections_freeze_notice(deciding=False, at=moment) == ""
    else:
        assert id_correction_freeze_ends(frozen) == DAY_ENDS
        assert "2569/2 · 10 " in id_corrections_freeze_notice(deciding=True, at=moment)


def test_a_decision_in_the_freeze_is_refused_saying_the_request_stays_waiting(
    learner, staff, id_approver, round2, time_machine
):
    time_machine.move_to(at(10, 0), tick=False)
    new_id = make_citizen_id()
    process = id_correction_request(**ask(learner, staff, new_id))
    time_machine.move_to(at(16, 30), tick=False)
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            id_correction_decide(
                process=process, actor=id_approver, decision="approved", comment=""
            )
        assert caught.value.code == "frozen"
        assert [str(m) for m in caught.value.messages] == [
            "Citizen-ID corrections are frozen for the count day of Round 2569/2 · 10 Nov 2026, from 10 Nov 2026 "
            "16:30 until 11 Nov 2026 00:00. The request stays waiting: decide it from 11 Nov 2026 "
            "00:00."
        ]
    process.refresh_from_db()
    learner.student.refresh_from_db()
    assert process.decision == "" and learner.student.citizen_id != new_id


def test_the_evidence_is_kept_with_the_learner_as_a_copy_of_the_id_card(
    learner, staff, id_approver
):
    id_correction_request(**ask(learner, staff, make_citizen_id()))
    (document,) = StudentDocument.objects.filter(student=learner.student)
    assert document.kind == StudentDocument.Kind.ID_CARD and document.school == learner.school


def test_a_new_request_is_accepted_once_the_last_one_was_decided(learner, staff, id_approver):
    first = id_correction_request(**ask(learner, staff, make_citizen_id()))
    IdCorrectionProcess.objects.filter(pk=first.pk).update(decision="rejected")
    second = id_correction_request(**ask(learner, staff, make_citizen_id()))
    assert second.pk != first.pk and IdCorrectionProcess.objects.count() == 2


def test_of_two_rounds_frozen_at_once_the_one_that_ends_later_holds_the_freeze(
    round2, time_machine
):
    # Round 3 of the year moved onto the same count day, its certify window closing the next noon.
    late = round2.academic_year.rounds.get(number=3)
    Round.objects.filter(pk=late.pk).update(
        as_of=round2.as_of,
        id_correction_cutoff=round2.id_correction_cutoff,
        confirm_opens=round2.confirm_opens,
        confirm_closes=round2.confirm_closes,
        certify_opens=round2.certify_opens,
        certify_closes=at(12, 0, day=date(2026, 11, 11)),
    )
    late.refresh_from_db()
    frozen = id_corrections_frozen_by(at=at(16, 45))
    assert frozen == late
    assert id_correction_freeze_ends(frozen) == at(12, 0, day=date(2026, 11, 11))
    assert id_corrections_frozen_by(at=at(11, 59, day=date(2026, 11, 11))) == late
