"""The OneRoster 1.2 records of OpenDMC's objects: orgs, academic sessions, users, classes,
enrollments, and the identifiers (sourcedId) that name them.

sourcedIds are never a database key: a school's ministry code, ``area-<code>`` for an area
office, ``moe`` for the ministry, ``year-<BE>`` and ``round-<BE>-<n>`` for the sessions, a learner's
public UUID, ``<school>-<BE>-<grade>-<room>`` for a class and ``<class>-<learner UUID>`` for an
enrollment (so an enrollment names its class and cannot be guessed)."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from census.models import AcademicYear, Round
from schools.calendar import academic_year_start
from schools.identifiers import mask_citizen_id, mask_gcode
from schools.models import AreaOffice, Enrollment, EnrollmentStatus, Grade, School, Student

MINISTRY_ID = "moe"
MINISTRY_NAME = "กระทรวงศึกษาธิการ"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

# Thai grades → the CEDS grade codes OneRoster uses, by the learners' age: อ.1 (3–4 years) is
# preschool (PR), อ.2 prekindergarten (PK), อ.3 kindergarten (KG); ป.1–6 are 01–06 and ม.1–6 07–12.
GRADE_CODES = {
    Grade.K1: "PR",
    Grade.K2: "PK",
    Grade.K3: "KG",
    **{grade: f"{number:02d}" for number, grade in enumerate(list(Grade)[3:], start=1)},
}
# The short name of a grade in a class's sourcedId (K1 … M6), and back.
GRADE_SHORT = {grade: grade.value[2:] for grade in Grade}
SHORT_GRADE = {short: grade for grade, short in GRADE_SHORT.items()}
CLASS_ID = re.compile(r"(?P<school>\w+)-(?P<year>\d{4})-(?P<grade>[KPM]\d)-(?P<room>[1-9]\d{0,3})")
ENROLLMENT_ID = re.compile(
    CLASS_ID.pattern + r"-(?P<student>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})"
)


def when(moment: datetime | None) -> str:
    """Return a moment as OneRoster writes it: ISO 8601 in UTC with milliseconds."""
    moment = (moment or EPOCH).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def class_id(school_code: str, year: int, grade: str, room: int) -> str:
    return f"{school_code}-{year}-{GRADE_SHORT[Grade(grade)]}-{room}"


def parse_class_id(sourced_id: str) -> dict | None:
    """Return the school code, year, grade and room a class's sourcedId names, or None."""
    match = CLASS_ID.fullmatch(sourced_id)
    if match is None or match["grade"] not in SHORT_GRADE:
        return None
    return {
        "school_code": match["school"],
        "year": int(match["year"]),
        "grade": SHORT_GRADE[match["grade"]].value,
        "room": int(match["room"]),
    }


def parse_enrollment_id(sourced_id: str) -> dict | None:
    """Return the class parts and the learner's UUID an enrollment's sourcedId names, or None."""
    match = ENROLLMENT_ID.fullmatch(sourced_id)
    if match is None:
        return None
    parts = parse_class_id(sourced_id[: match.start("student") - 1])
    return None if parts is None else {**parts, "student": match["student"]}


def area_id(code: str) -> str:
    return f"area-{code}"


def year_id(year: int) -> str:
    return f"year-{year}"


def round_id(round: Round) -> str:
    return f"round-{round.academic_year.year}-{round.number}"


def round_title(round: Round) -> str:
    """Return the round's one name in Thai, as the pages and records name it."""
    with translation.override("th"):
        return str(round)


@dataclass
class Refs:
    """Build the references (href, sourcedId, type) of one request's records."""

    request: HttpRequest

    def ref(self, kind: str, view: str, sourced_id: str) -> dict:
        href = self.request.build_absolute_uri(
            reverse(f"oneroster:{view}", kwargs={"sourced_id": sourced_id})
        )
        return {"href": href, "sourcedId": sourced_id, "type": kind}

    def org(self, sourced_id: str) -> dict:
        return self.ref("org", "org", sourced_id)

    def session(self, sourced_id: str) -> dict:
        return self.ref("academicSession", "academic_session", sourced_id)

    def klass(self, sourced_id: str) -> dict:
        return self.ref("class", "class", sourced_id)

    def user(self, sourced_id: str) -> dict:
        return self.ref("user", "user", sourced_id)

    def course(self, sourced_id: str) -> dict:
        # Courses are not served (OpenDMC has no courses): the reference names the grade's course.
        return {"href": "", "sourcedId": sourced_id, "type": "course"}


def _org(sourced_id, *, status, modified, name, kind, identifier, parent, children) -> dict:
    return {
        "sourcedId": sourced_id,
        "status": status,
        "dateLastModified": when(modified),
        "metadata": {},
        "name": name,
        "type": kind,
        "identifier": identifier,
        "parent": parent,
        "children": children,
    }


def ministry_record(refs: Refs, areas: list[AreaOffice]) -> dict:
    """Return the ministry as a national org whose children are the area offices in reach."""
    return _org(
        MINISTRY_ID,
        status="active",
        modified=max((area.updated_at for area in areas), default=None),
        name=MINISTRY_NAME,
        kind="national",
        identifier="",
        parent=None,
        children=[refs.org(area_id(area.code)) for area in areas],
    )


def area_record(refs: Refs, area: AreaOffice, schools: list[School]) -> dict:
    """Return an area office as a district org whose children are its schools in reach."""
    return _org(
        area_id(area.code),
        status="active",
        modified=area.updated_at,
        name=area.name_th,
        kind="district",
        identifier=area.code,
        parent=refs.org(MINISTRY_ID),
        children=[refs.org(s.code) for s in schools if s.area_office_id == area.pk],
    )


def school_record(refs: Refs, school: School) -> dict:
    """Return a school as a school org (a closed or merged school is ``tobedeleted``)."""
    return _org(
        school.code,
        status="active" if school.status == School.Status.OPEN else "tobedeleted",
        modified=school.updated_at,
        name=school.name_th,
        kind="school",
        identifier=school.code,
        parent=refs.org(area_id(school.area_office.code)),
        children=[],
    )


def _school_year(year: int) -> str:
    # OneRoster's schoolYear is the Gregorian year in which the school year ends.
    return str(year - 543 + 1)


def year_record(refs: Refs, year: int, created: datetime | None, rounds: list[Round]) -> dict:
    """Return an academic year as a schoolYear session whose children are its count rounds."""
    return {
        "sourcedId": year_id(year),
        "status": "active",
        "dateLastModified": when(created),
        "metadata": {},
        "title": f"ปีการศึกษา {year}",
        "type": "schoolYear",
        "startDate": day(academic_year_start(year)),
        "endDate": day(academic_year_start(year + 1) - timedelta(days=1)),
        "parent": None,
        "children": [refs.session(round_id(r)) for r in rounds if r.academic_year.year == year],
        "schoolYear": _school_year(year),
    }


def round_record(refs: Refs, round: Round, previous: Round | None) -> dict:
    """Return a count round as a term: from the day after the previous count day (or the year's
    first day) to its own count day."""
    year = round.academic_year.year
    start = previous.as_of + timedelta(days=1) if previous else academic_year_start(year)
    return {
        "sourcedId": round_id(round),
        "status": "active",
        "dateLastModified": when(round.last_change or round.academic_year.created_at),
        "metadata": {"opendmc.countDay": day(round.as_of)},
        "title": round_title(round),
        "type": "term",
        "startDate": day(start),
        "endDate": day(round.as_of),
        "parent": refs.session(year_id(year)),
        "children": [],
        "schoolYear": _school_year(year),
    }


def session_records(refs: Refs, years: list[AcademicYear], rounds: list[Round], current: int):
    """Return every session: the years (the current one even before it is created) and rounds."""
    created = {y.year: y.created_at for y in years}
    created.setdefault(current, None)
    records = [year_record(refs, y, created[y], rounds) for y in sorted(created)]
    previous = None
    for round in rounds:
        same_year = previous and previous.academic_year_id == round.academic_year_id
        records.append(round_record(refs, round, previous if same_year else None))
        previous = round
    return records


def class_record(refs: Refs, row: dict, year: int) -> dict:
    """Return a class (a grade's room in a school year, from ``rostering_classes``): a homeroom."""
    grade = Grade(row["grade"])
    sourced_id = class_id(row["school__code"], year, grade, row["room"])
    with translation.override("th"):
        label = f"{grade.label}/{row['room']}"
    return {
        "sourcedId": sourced_id,
        "status": "active" if row["active"] else "tobedeleted",
        "dateLastModified": when(row["modified"]),
        "metadata": {},
        "title": label,
        "classCode": label,
        "classType": "homeroom",
        "location": "",
        "grades": [GRADE_CODES[grade]],
        "subjects": [],
        "course": refs.course(f"{row['school__code']}-{year}-{GRADE_SHORT[grade]}"),
        "school": refs.org(row["school__code"]),
        "terms": [refs.session(year_id(year))],
        "periods": [],
    }


def _identifier(student: Student) -> str:
    # Never the full citizen ID: its masked form (or the masked G-code of a learner without one).
    if student.citizen_id:
        return mask_citizen_id(student.citizen_id)
    return mask_gcode(student.gcode) if student.gcode else ""


def user_record(refs: Refs, student: Student) -> dict:
    """Return a learner as a user with the student role at each school of their roster rows."""
    rows: list[Enrollment] = student.roster
    current = next((row for row in rows if row.status == EnrollmentStatus.ACTIVE), None)
    sourced_id = str(student.public_id)
    return {
        "sourcedId": sourced_id,
        "status": "active" if student.roster_active else "tobedeleted",
        "dateLastModified": when(student.modified),
        "metadata": {
            "opendmc.givenNameEn": student.first_name_en,
            "opendmc.familyNameEn": student.last_name_en,
        },
        "userMasterIdentifier": sourced_id,
        "username": sourced_id,
        "userIds": [{"type": "opendmc", "identifier": sourced_id}],
        "enabledUser": "true" if student.roster_active else "false",
        "givenName": student.first_name_th,
        "familyName": student.last_name_th,
        "middleName": "",
        "roles": [
            {
                "roleType": "primary" if row is (current or rows[0]) else "secondary",
                "role": "student",
                "org": refs.org(row.school.code),
                "beginDate": day(row.started_on),
                "endDate": day(row.ended_on),
            }
            for row in rows
        ],
        "identifier": _identifier(student),
        "email": "",
        "agents": [],
        "grades": [GRADE_CODES[Grade((current or rows[0]).grade)]] if rows else [],
    }


def enrollment_record(refs: Refs, enrollment: Enrollment, year: int) -> dict:
    """Return an enrollment: the learner in their class (grade and room), with its dates."""
    klass = class_id(enrollment.school.code, year, enrollment.grade, enrollment.room)
    student = str(enrollment.student.public_id)
    return {
        "sourcedId": f"{klass}-{student}",
        "status": "active" if enrollment.roster_active else "tobedeleted",
        "dateLastModified": when(enrollment.updated_at),
        "metadata": {},
        "user": refs.user(student),
        "class": refs.klass(klass),
        "school": refs.org(enrollment.school.code),
        "role": "student",
        "primary": "false",
        "beginDate": day(enrollment.started_on),
        "endDate": day(enrollment.ended_on),
    }
