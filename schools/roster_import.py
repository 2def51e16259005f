"""Read a school's whole roster from a file and plan what applying it would do (no writes).

A row of the file becomes one line of the plan: a new learner, one already here (unchanged, or what
changes), one active at another school (a transfer request to that school, never a second active
enrollment) or a refused row with its reasons and its line number in the file. The plan is computed
with a few bulk queries whatever the number of rows; ``roster_services`` applies it.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from .bulk import select_in, without_gc_pauses
from .checks import check_birth_date, check_grade_taught, date_from_text, decimal_from_text
from .identifiers import THAI_DIGITS, parse_citizen_id, parse_gcode
from .models import Enrollment, EnrollmentStatus, Grade, IssuedGCode, School, Sex, Student, Title
from .services import NAME_FIELDS, check_measurement, gcode_not_issued_error
from .uploads import MAX_CELL_CHARS, UploadError, cell_text, find_header, read_table

# An area office's file holds the rosters of all its schools.
MAX_ROWS = 120_000
MAX_ROOM = 99
# SQLite binds at most 32,766 parameters a statement: identifiers are looked up in chunks.
_LOOKUP_CHUNK = 5_000


# The template's columns in order: (name, header, required).
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("school_code", pgettext_lazy("roster column", "School code"), False),
    ("identifier", pgettext_lazy("roster column", "Citizen ID or G-code"), True),
    ("title", pgettext_lazy("roster column", "Title"), True),
    ("first_name_th", pgettext_lazy("roster column", "First name (Thai)"), True),
    ("last_name_th", pgettext_lazy("roster column", "Last name (Thai)"), True),
    ("first_name_en", pgettext_lazy("roster column", "First name (English)"), False),
    ("last_name_en", pgettext_lazy("roster column", "Last name (English)"), False),
    ("sex", pgettext_lazy("roster column", "Sex"), True),
    ("birth_date", pgettext_lazy("roster column", "Birth date"), True),
    ("grade", pgettext_lazy("roster column", "Grade"), True),
    ("room", pgettext_lazy("roster column", "Room"), True),
    ("started_on", pgettext_lazy("roster column", "Date entered"), True),
    ("weight_kg", pgettext_lazy("roster column", "Weight (kg)"), False),
    ("height_cm", pgettext_lazy("roster column", "Height (cm)"), False),
)
REQUIRED = frozenset(name for name, _label, required in COLUMNS if required)

# Headers schools already use besides the template's own (the DMC export's Thai words).
_EXTRA_HEADERS = {
    "school_code": ("รหัสโรงเรียน", "school code", "schoolcode"),
    "identifier": (
        "เลขประจำตัวประชาชน", "เลขบัตรประชาชน", "รหัส g", "citizen id", "g-code", "id",
    ),
    "title": ("คำนำหน้า", "คำนำหน้าชื่อ", "title"),
    "first_name_th": ("ชื่อ",),
    "last_name_th": ("นามสกุล",),
    "first_name_en": ("ชื่อ (อังกฤษ)",),
    "last_name_en": ("นามสกุล (อังกฤษ)",),
    "sex": ("เพศ",),
    "birth_date": ("วันเกิด", "วันเดือนปีเกิด"),
    "grade": ("ชั้น", "ระดับชั้น"),
    "room": ("ห้อง",),
    "started_on": ("วันที่เข้าเรียน", "วันที่เข้า"),
    "weight_kg": ("น้ำหนัก", "weight"),
    "height_cm": ("ส่วนสูง", "height"),
}  # fmt: skip


def _squash(text: str) -> str:
    return "".join(str(text).lower().split()).replace(".", "")


def _header_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for name, label, _required in COLUMNS:
        for language in ("en", "th"):
            with translation.override(language):
                words[_squash(str(label))] = name
        for extra in _EXTRA_HEADERS.get(name, ()):
            words.setdefault(_squash(extra), name)
    return words


def _choice_words(choices: Iterable[tuple[str, object]], extra: dict[str, str]) -> dict[str, str]:
    words = {}
    for value, label in choices:
        words[_squash(value)] = value
        for language in ("en", "th"):
            with translation.override(language):
                words[_squash(str(label))] = value
    words.update({_squash(k): v for k, v in extra.items()})
    return words


def grade_words() -> dict[str, str]:
    """Return the ways a grade is written (ป.1, P1, ประถมศึกษาปีที่ 1, 04P1) → its code."""
    extra = {}
    for value in Grade.values:
        level, number = value[2], value[3]
        thai = {"K": "อนุบาล", "P": "ประถมศึกษาปีที่", "M": "มัธยมศึกษาปีที่"}[level]
        extra[f"{thai}{number}"] = value
    return _choice_words(Grade.choices, extra)


def title_words() -> dict[str, str]:
    """Return the ways a title is written (ด.ช., ดช, เด็กชาย, Master) → its value."""
    return _choice_words(Title.choices, {"mstr": Title.BOY, "ms": Title.MISS})


def sex_words() -> dict[str, str]:
    """Return the ways a sex is written (ชาย, M, 1 as the DMC codes it) → its value."""
    return _choice_words(Sex.choices, {"1": Sex.MALE, "2": Sex.FEMALE, "ช": Sex.MALE})


class Kind(TextChoices):
    NEW = "new", gettext_lazy("New learner")
    UNCHANGED = "unchanged", gettext_lazy("Already here, no change")
    CHANGES = "changes", gettext_lazy("Already here, changes")
    ELSEWHERE = "elsewhere", gettext_lazy("Active at another school: transfer request")
    REFUSED = "refused", gettext_lazy("Refused")


@dataclass
class ImportRow:
    """One row of the file, read and checked on its own."""

    line: int
    school_code: str = ""
    citizen_id: str | None = None
    gcode: str | None = None
    title: str = ""
    first_name_th: str = ""
    last_name_th: str = ""
    first_name_en: str = ""
    last_name_en: str = ""
    sex: str = ""
    birth_date: date | None = None
    grade: str = ""
    room: int = 1
    started_on: date | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None

    @property
    def identifier(self) -> str:
        return self.citizen_id or self.gcode or ""


@dataclass
class PlanRow:
    """What applying the file does with one row."""

    line: int
    kind: str
    row: ImportRow | None = None
    school: School | None = None
    reasons: list[str] = field(default_factory=list)
    # field → [old, new], for a learner already here
    changes: dict[str, list] = field(default_factory=dict)
    student_id: int | None = None
    enrollment_id: int | None = None
    issuance_id: int | None = None
    issuance_evidence_id: int | None = None
    # The school that holds the learner now (an active enrollment elsewhere).
    holder: School | None = None


@dataclass
class Plan:
    """The whole file's plan, row by row in file order, with the file's own errors."""

    rows: list[PlanRow] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return how many rows there are of each kind."""
        counts = dict.fromkeys(Kind.values, 0)
        for row in self.rows:
            counts[row.kind] += 1
        return counts

    def of_kind(self, *kinds: str) -> list[PlanRow]:
        """Return the rows of the given kinds, in file order."""
        return [row for row in self.rows if row.kind in kinds]

    @property
    def refused(self) -> list[PlanRow]:
        return self.of_kind(Kind.REFUSED)


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date_from_text(cell_text(value))


def _find_header(table: list[list]) -> tuple[int, dict[str, int]]:
    words = _header_words()
    header = find_header(table, column_of=lambda text: words.get(_squash(text)), required=REQUIRED)
    if header is not None:
        return header
    missing = ", ".join(str(label) for name, label, required in COLUMNS if required)
    raise UploadError(
        _("Header not found: the file needs the template's columns (%(columns)s).")
        % {"columns": missing}
    )


class _Reader:
    """Read the cells of one row into an ImportRow, collecting a reason for each bad cell."""

    def __init__(self) -> None:
        self.grades, self.titles, self.sexes = grade_words(), title_words(), sex_words()
        self.today = timezone.localdate()
        # Translated once a file, not once a row.
        self.what = {
            "title": pgettext("roster field", "title"),
            "sex": pgettext("roster field", "sex"),
            "grade": pgettext("roster field", "grade"),
            "birth_date": pgettext("roster field", "birth date"),
            "started_on": pgettext("roster field", "date entered"),
        }
        # A file repeats a few titles, sexes, grades and dates thousands of times: each distinct
        # cell is looked up or read once a file, its value or its reasons kept.
        self.choices: dict[tuple[str, str], str | None] = {}
        self.dates: dict[tuple[str, type, object], tuple[date | None, str | None]] = {}

    def read(
        self, line: int, cells: dict[str, object], texts: dict[str, str]
    ) -> tuple[ImportRow, list[str]]:
        """Read one row's cells (and the same cells as text, as _cell_text gives them)."""
        row, reasons = ImportRow(line=line), []
        too_long = False
        for text in texts.values():
            if text.startswith("="):
                # A formula's value depends on other cells: only typed values are accepted.
                return row, [_("A cell holds a formula: type its value instead.")]
            too_long = too_long or len(text) > MAX_CELL_CHARS
        if too_long:
            return row, [_("A cell is too long.")]
        row.school_code = texts.get("school_code", "").translate(THAI_DIGITS)
        self._identifier(row, texts["identifier"], reasons)
        self._choice(row, "title", texts["title"], self.titles, reasons)
        self._choice(row, "sex", texts["sex"], self.sexes, reasons)
        self._choice(row, "grade", texts["grade"], self.grades, reasons)
        for name in NAME_FIELDS[1:]:
            setattr(row, name, texts.get(name, ""))
        if not row.first_name_th or not row.last_name_th:
            reasons.append(_("The Thai first and last names are required."))
        self._room(row, texts["room"], reasons)
        self._dates(row, cells, reasons)
        self._measurement(row, texts, reasons)
        return row, reasons

    def _identifier(self, row: ImportRow, text: str, reasons: list[str]) -> None:
        if not text:
            reasons.append(_("The citizen ID or G-code is missing."))
            return
        try:
            if text.upper().startswith("G"):
                row.gcode = parse_gcode(text)
            else:
                row.citizen_id = parse_citizen_id(text)
        except ValidationError as exc:
            reasons.extend(exc.messages)

    def _choice(self, row, name, text, words, reasons) -> None:
        try:
            value = self.choices[name, text]
        except KeyError:
            value = self.choices[name, text] = words.get(_squash(text))
        if value is None:
            reasons.append(
                _("The %(what)s “%(text)s” is not known.") % {"what": self.what[name], "text": text}
            )
        else:
            setattr(row, name, value)

    def _room(self, row: ImportRow, text: str, reasons: list[str]) -> None:
        text = text.translate(THAI_DIGITS)
        if not text.isdigit() or not 1 <= int(text) <= MAX_ROOM:
            reasons.append(_("The room must be a number from 1 to %(max)d.") % {"max": MAX_ROOM})
        else:
            row.room = int(text)

    def _dates(self, row: ImportRow, cells: dict, reasons: list[str]) -> None:
        for name in ("birth_date", "started_on"):
            cell = cells[name]
            key = (name, type(cell), cell)  # the type too: 1, 1.0 and True are equal keys
            if key not in self.dates:
                self.dates[key] = self._date(name, cell)
            value, problem = self.dates[key]
            if problem is None:
                setattr(row, name, value)
            else:
                reasons.append(problem)
        if row.birth_date is not None:
            try:
                check_birth_date(row.birth_date, today=self.today)
            except ValidationError as exc:
                reasons.extend(exc.messages)

    def _date(self, name: str, cell) -> tuple[date | None, str | None]:
        try:
            return _date(cell), None
        except ValidationError as exc:
            return None, _("The %(what)s: %(problem)s") % {
                "what": self.what[name],
                "problem": exc.messages[0],
            }

    def _measurement(self, row: ImportRow, texts: dict, reasons: list[str]) -> None:
        weight, height = texts.get("weight_kg", ""), texts.get("height_cm", "")
        if not weight and not height:
            return
        if not weight or not height:
            reasons.append(_("Give both the weight and the height, or neither."))
            return
        try:
            row.weight_kg, row.height_cm = decimal_from_text(weight), decimal_from_text(height)
        except (InvalidOperation, ValueError):
            reasons.append(_("The weight and the height must be numbers."))
            return
        try:
            check_measurement(
                measured_on=self.today,
                weight_kg=row.weight_kg,
                height_cm=row.height_cm,
                today=self.today,
            )
        except ValidationError as exc:
            reasons.extend(exc.messages)


def read_roster_rows(
    data: bytes, filename: str, *, max_rows: int = MAX_ROWS
) -> Iterator[tuple[ImportRow, list[str]]]:
    """Yield each non-empty row of a roster file with the reasons it is refused (none: readable).

    Raise UploadError when the file as a whole cannot be read."""
    table = read_table(data, filename, max_rows=max_rows, keep_formulas=True)
    header_index, columns = _find_header(table)
    if len(table) - header_index - 1 > max_rows:
        raise UploadError(_("The file has more than %(max)d rows.") % {"max": max_rows})
    reader = _Reader()
    empty = True
    for offset, cells_row in enumerate(table[header_index + 1 :]):
        cells = {
            name: (cells_row[pos] if pos < len(cells_row) else None)
            for name, pos in columns.items()
        }
        texts = {name: cell_text(value) for name, value in cells.items()}
        if not any(texts.values()):
            continue
        empty = False
        yield reader.read(header_index + 2 + offset, cells, texts)
    if empty:
        raise UploadError(_("The file has no rows under its header."))


_STUDENT_FIELDS = ("pk", "citizen_id", "gcode", "sex", "birth_date", *NAME_FIELDS)


def _known_learners(rows: list[ImportRow]) -> tuple[dict[str, dict], dict[int, dict], dict]:
    """Return the learners the file names (by identifier), their active enrollments (by learner)
    and the recorded G-code issuances (by code): a few queries, whatever the size of the file."""
    citizen_ids = sorted({r.citizen_id for r in rows if r.citizen_id})
    gcodes = sorted({r.gcode for r in rows if r.gcode})
    learners = Student.objects.values_list(*_STUDENT_FIELDS)
    students: dict[str, dict] = {}
    for found in select_in(learners, "citizen_id", citizen_ids, size=_LOOKUP_CHUNK):
        s = dict(zip(_STUDENT_FIELDS, found, strict=True))
        students[s["citizen_id"]] = s
    for found in select_in(learners, "gcode", gcodes, size=_LOOKUP_CHUNK):
        s = dict(zip(_STUDENT_FIELDS, found, strict=True))
        students[s["gcode"]] = s
    active: dict[int, dict] = {}
    ids = sorted(s["pk"] for s in students.values())
    enrollment_fields = ("pk", "student_id", "school_id", "grade", "room")
    enrollments = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).values_list(
        *enrollment_fields
    )
    for found in select_in(enrollments, "student", ids, size=_LOOKUP_CHUNK):
        e = dict(zip(enrollment_fields, found, strict=True))
        active[e["student_id"]] = e
    issuances: dict[str, dict] = {}
    issuance_fields = ("pk", "gcode", "student_id", "evidence_id")
    issued = IssuedGCode.objects.values_list(*issuance_fields)
    for found in select_in(issued, "gcode", gcodes, size=_LOOKUP_CHUNK):
        i = dict(zip(issuance_fields, found, strict=True))
        issuances[i["gcode"]] = i
    return students, active, issuances


@without_gc_pauses()
def roster_plan(
    *, data: bytes, filename: str, schools: list[School], by_code: bool = False
) -> Plan:
    """Plan a roster file for a school (one school in ``schools``) or, with ``by_code``, for the
    schools an area officer oversees, each row going to the school of its school-code column.

    Raise UploadError when the file as a whole cannot be read; a bad row is refused in the plan."""
    by_school_code = {s.code: s for s in schools}
    if not by_code and len(schools) != 1:
        raise ValueError("a school's roster file is planned for one school")
    plan = Plan()
    readable: list[tuple[PlanRow, ImportRow]] = []
    first_line: dict[str, int] = {}
    # Whether a school teaches a grade, asked once a school and grade (its reasons, or none).
    not_taught: dict[tuple[str, str], list[str]] = {}
    for row, reasons in read_roster_rows(data, filename):
        plan_row = PlanRow(line=row.line, kind=Kind.REFUSED, row=row, reasons=reasons)
        plan.rows.append(plan_row)
        plan_row.school = _school_of(row, schools, by_school_code, by_code, reasons)
        if plan_row.school is not None and row.grade:
            key = (plan_row.school.code, row.grade)
            if key not in not_taught:
                try:
                    check_grade_taught(school=plan_row.school, grade=row.grade)
                    not_taught[key] = []
                except ValidationError as exc:
                    not_taught[key] = exc.messages
            reasons.extend(not_taught[key])
        if row.identifier:
            # A learner twice in a file: which line is right is for the school to say.
            earlier = first_line.setdefault(row.identifier, row.line)
            if earlier != row.line:
                reasons.append(_("The same learner as on line %(line)d.") % {"line": earlier})
                for other, _row in readable:
                    if other.line == earlier:
                        other.reasons.append(
                            _("The same learner again on line %(line)d.") % {"line": row.line}
                        )
        if not reasons:
            readable.append((plan_row, row))
    students, active, issuances = _known_learners([row for _p, row in readable])
    holders = _holder_schools({e["school_id"] for e in active.values()}, by_school_code)
    for plan_row, row in readable:
        if plan_row.reasons:  # a duplicate found later
            continue
        _classify(plan_row, row, students.get(row.identifier), active, issuances, holders)
    return plan


def _school_of(
    row: ImportRow,
    schools: list[School],
    by_school_code: dict[str, School],
    by_code: bool,
    reasons: list[str],
) -> School | None:
    if not by_code:
        school = schools[0]
        if row.school_code and row.school_code != school.code:
            reasons.append(
                _("This row is for school %(code)s, not %(school)s.")
                % {"code": row.school_code, "school": school.code}
            )
        return school
    if not row.school_code:
        reasons.append(_("The school code is missing."))
        return None
    school = by_school_code.get(row.school_code)
    if school is None:
        # The same words for a code that does not exist and one outside the area: no guessing.
        reasons.append(
            _("School %(code)s is not one of the schools you oversee.") % {"code": row.school_code}
        )
    return school


def _holder_schools(ids: set[int], known: dict[str, School]) -> dict[int, School]:
    holders = {s.pk: s for s in known.values() if s.pk in ids}
    missing = ids - holders.keys()
    if missing:
        holders.update({s.pk: s for s in School.objects.filter(pk__in=missing)})
    return holders


def _classify(
    plan_row: PlanRow,
    row: ImportRow,
    student: dict | None,
    active: dict[int, dict],
    issuances: dict[str, dict],
    holders: dict[int, School],
) -> None:
    reasons = plan_row.reasons
    if row.gcode:
        issuance = issuances.get(row.gcode)
        if issuance is None:
            reasons.append(gcode_not_issued_error(row.gcode).messages[0])
        elif issuance["student_id"] not in (None, student and student["pk"]):
            reasons.append(_("This G-code was issued to another learner."))
        else:
            plan_row.issuance_id = issuance["pk"] if issuance["student_id"] is None else None
            plan_row.issuance_evidence_id = issuance["evidence_id"]
    if student is not None:
        plan_row.student_id = student["pk"]
        # Sex and birth date come with the ID: a difference is more likely a wrong ID than a fix.
        for name, what in (
            ("sex", pgettext("roster field", "sex")),
            ("birth_date", pgettext("roster field", "birth date")),
        ):
            if student[name] != getattr(row, name):
                reasons.append(
                    _("This ID belongs to a learner with another %(what)s: check the ID.")
                    % {"what": what}
                )
        for name in NAME_FIELDS:
            if student[name] != getattr(row, name):
                plan_row.changes[name] = [student[name], getattr(row, name)]
    if reasons:
        return
    enrollment = active.get(plan_row.student_id) if student is not None else None
    if enrollment is None:
        plan_row.kind = Kind.NEW
        return
    if enrollment["school_id"] != plan_row.school.pk:
        plan_row.kind, plan_row.changes = Kind.ELSEWHERE, {}
        plan_row.holder = holders[enrollment["school_id"]]
        return
    plan_row.enrollment_id = enrollment["pk"]
    for name in ("grade", "room"):
        if enrollment[name] != getattr(row, name):
            plan_row.changes[name] = [enrollment[name], getattr(row, name)]
    plan_row.kind = Kind.CHANGES if plan_row.changes else Kind.UNCHANGED


# --- the template a school fills -------------------------------------------------------------


def roster_template_header() -> list[str]:
    """Return the template's column headers in the active language."""
    return [str(label) for _name, label, _required in COLUMNS]


def roster_template_csv(*, school: School | None = None) -> bytes:
    """Return the roster template as CSV in UTF-8 with a BOM (Excel then reads Thai correctly)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(roster_template_header())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def roster_template_xlsx(*, schools: list[School]) -> bytes:
    """Return the roster template as .xlsx: the columns, a grade list limited to what the schools
    teach, and a second sheet naming each school's code and grades."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = pgettext("roster template", "Learners")
    header = roster_template_header()
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    sheet.freeze_panes = "A2"
    grades = [g for g in Grade if any(s.teaches(g.value) for s in schools)]
    # Excel refuses a list over 255 characters: fifteen grade labels stay far below.
    grade_list = DataValidation(
        type="list", formula1='"' + ",".join(str(g.label) for g in grades) + '"'
    )
    sheet.add_data_validation(grade_list)
    column = [name for name, _label, _required in COLUMNS].index("grade")
    letter = chr(ord("A") + column)
    grade_list.add(f"{letter}2:{letter}200000")
    for index, label in enumerate(header):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(12, len(label) + 4)
        # Text columns: a citizen ID typed in stays 13 digits, not a number in E notation.
        if COLUMNS[index][0] in ("school_code", "identifier"):
            sheet.column_dimensions[chr(ord("A") + index)].number_format = "@"
    about = workbook.create_sheet(pgettext("roster template", "Schools"))
    about.append(
        [
            str(pgettext_lazy("roster column", "School code")),
            pgettext("roster template", "School"),
            pgettext("roster template", "Grades taught"),
        ]
    )
    for school in schools:
        about.append(
            [
                school.code,
                school.name_th,
                f"{Grade(school.lowest_grade).label}–{Grade(school.highest_grade).label}",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
