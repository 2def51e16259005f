"""The school register from the ministry's list (SMIS): read a file of area offices and schools,
plan what it changes (new, changed, closed, and every row refused with its reason), and apply
that plan in one transaction.

The plan never writes and reads the database in a few bulk queries, however long the file; the
same file applied twice plans nothing the second time. A school is never deleted: one that
closes or merges keeps its rows and history and stops counting (``School.objects.open()``).

The file: one row per area office (no school code) or per school, under a header row whose
column names are in Thai or English (``COLUMNS``); see ``demo`` for a sample.
"""

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User

from .bulk import insert_rows, update_rows, without_gc_pauses
from .checks import date_from_text
from .identifiers import THAI_DIGITS
from .models import (
    AreaOffice,
    Enrollment,
    EnrollmentStatus,
    Grade,
    RegisterChange,
    RegisterImport,
    School,
)
from .uploads import Formula, UploadError, cell_text, find_header, read_table

AREA_CODE = re.compile(r"\d{8}")
SCHOOL_CODE = re.compile(r"\d{10}")
MAX_ROWS = 40_000  # the nation is 245 area offices and about 29,000 schools

# Header names a column is known by (compared lower-case, spaces collapsed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "area_code": ("area_code", "area office code", "รหัสเขต", "รหัสเขตพื้นที่", "รหัสสำนักงานเขต"),
    "school_code": ("school_code", "school code", "smis", "รหัสโรงเรียน", "รหัส smis"),
    "name_th": ("name_th", "thai name", "ชื่อภาษาไทย", "ชื่อ (ไทย)", "ชื่อไทย"),
    "name_en": ("name_en", "english name", "ชื่อภาษาอังกฤษ", "ชื่อ (อังกฤษ)", "ชื่ออังกฤษ"),
    "area_kind": ("area_kind", "area office kind", "ประเภทเขต"),
    "province": ("province", "จังหวัด"),
    "district": ("district", "อำเภอ"),
    "subdistrict": ("subdistrict", "sub-district", "ตำบล"),
    "lowest_grade": ("lowest_grade", "lowest grade", "ชั้นต่ำสุด"),
    "highest_grade": ("highest_grade", "highest grade", "ชั้นสูงสุด"),
    "size": ("size", "size class", "ขนาด", "ขนาดโรงเรียน"),
    "status": ("status", "สถานะ"),
    "closed_on": ("closed_on", "closed on", "วันที่ปิด"),
    "merged_into": ("merged_into", "merged into", "ควบรวมกับ"),
}
REQUIRED = ("area_code", "school_code", "name_th")
HEADER = {
    "area_code": "รหัสเขต", "school_code": "รหัสโรงเรียน", "name_th": "ชื่อภาษาไทย",
    "name_en": "ชื่อภาษาอังกฤษ", "area_kind": "ประเภทเขต", "province": "จังหวัด", "district": "อำเภอ",
    "subdistrict": "ตำบล", "lowest_grade": "ชั้นต่ำสุด", "highest_grade": "ชั้นสูงสุด",
    "size": "ขนาดโรงเรียน", "status": "สถานะ", "closed_on": "วันที่ปิด", "merged_into": "ควบรวมกับ",
}  # fmt: skip
LENGTHS = {"name_th": 200, "name_en": 200, "province": 100, "district": 100, "subdistrict": 100}

AREA_FIELDS = ("name_th", "name_en", "kind", "province")
SCHOOL_FIELDS = (
    "name_th", "name_en", "area_office", "province", "district", "subdistrict",
    "lowest_grade", "highest_grade", "size", "status", "closed_on", "merged_into",
)  # fmt: skip
PREVIEW_ROWS = 200  # rows of each table kept for the preview page; the counts are whole


def _key(text: str) -> str:
    return " ".join(str(text).strip().lower().split())


_SEPARATORS = re.compile(r"[.\s_-]")


@lru_cache(maxsize=4096)  # a file repeats a few spellings of grades, sizes and statuses
def _word(text: str) -> str:
    """Return a value as compared with the known words: no dots, spaces or case; Arabic digits."""
    return _SEPARATORS.sub("", str(text).translate(THAI_DIGITS).lower())


def _words(choices, extra: dict[str, str]) -> dict[str, str]:
    """Return each accepted spelling of a choice (value, English and Thai label, extra) → value."""
    found = {_word(k): v for k, v in extra.items()}
    for value, label in choices:
        found[_word(value)] = value
        for language in ("en", "th"):
            with translation.override(language):
                found[_word(str(label))] = value
    return found


def _grades() -> dict[str, str]:
    return _words(Grade.choices, {})


def _kinds() -> dict[str, str]:
    return _words(
        AreaOffice.Kind.choices,
        {"สพป": "primary", "ประถมศึกษา": "primary", "สพม": "secondary", "มัธยมศึกษา": "secondary"},
    )


def _sizes() -> dict[str, str]:
    return _words(
        School.Size.choices,
        {"เล็ก": "small", "กลาง": "medium", "ใหญ่": "large", "ใหญ่พิเศษ": "extra_large"},
    )


def _statuses() -> dict[str, str]:
    return _words(
        School.Status.choices,
        {"เปิด": "open", "เปิดสอน": "open", "ปิด": "closed", "ยุบ": "closed", "ยุบเลิก": "closed",
         "ควบรวม": "merged", "ถูกควบรวม": "merged"},
    )  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    line: int
    code: str
    message: str


@dataclass
class Change:
    """One area office or school the file adds, changes or closes, with what changes."""

    kind: str  # RegisterChange.Kind
    action: str  # RegisterChange.Action
    line: int
    code: str
    name: str
    changes: dict  # field → [old, new], as text
    values: dict = field(repr=False)  # the row's full values, to write


@dataclass
class Plan:
    """What a school-list file would change; nothing of it is written yet."""

    sha256: str
    rows: int = 0
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    closed: list[Change] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changes(self) -> list[Change]:
        return [*self.added, *self.changed, *self.closed]

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes

    @property
    def digest(self) -> str:
        """Return a digest of what the plan would write and refuse: equal plans, equal digests."""
        body = json.dumps(
            [
                sorted([c.kind, c.action, c.code, c.changes] for c in self.changes),
                sorted([r.line, r.message] for r in self.refused),
            ],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()

    def summary(self, limit: int = PREVIEW_ROWS) -> dict:
        """Return the counts and the first rows of each table, as kept for the preview page."""

        def rows(items):
            return [asdict(i) if isinstance(i, Refusal) else _public(i) for i in items[:limit]]

        return {
            "rows": self.rows,
            "counts": {
                "added": len(self.added), "changed": len(self.changed),
                "closed": len(self.closed), "refused": len(self.refused),
                "unchanged": self.unchanged,
            },
            "added": rows(self.added), "changed": rows(self.changed),
            "closed": rows(self.closed), "refused": rows(self.refused),
        }  # fmt: skip


def _public(change: Change) -> dict:
    return {
        "kind": change.kind,
        "line": change.line,
        "code": change.code,
        "name": change.name,
        "changes": change.changes or _added(change),
    }


# --- reading the file -------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    cells: dict[str, str]


def _header(table: list[list]) -> tuple[int, dict[str, int]]:
    known = {_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    header = find_header(table, column_of=lambda text: known.get(_key(text)), required=REQUIRED)
    if header is not None:
        return header
    raise ValidationError(
        _(
            "Header not found: the file needs at least the columns area office code, school code "
            "and Thai name (see the sample file)."
        ),
        code="header",
    )


def _read(data: bytes, filename: str) -> tuple[list[_Row], list[Refusal]]:
    try:
        table = read_table(data, filename, max_rows=MAX_ROWS, keep_formulas=True)
    except UploadError as exc:
        raise ValidationError(str(exc), code="file") from exc
    header_index, columns = _header(table)
    body = table[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(max)d rows.") % {"max": MAX_ROWS}, code="rows"
        )
    rows, refused = [], []
    wanted = list(columns.items())
    for offset, raw in enumerate(body):
        line = header_index + 2 + offset
        width = len(raw)
        cells, formula = {}, None
        for name, pos in wanted:
            value = raw[pos] if pos < width else None
            text = cell_text(value)
            # A formula cell of a workbook, or a CSV cell a spreadsheet would run as one.
            if formula is None and (isinstance(value, Formula) or text.startswith("=")):
                formula = name
            cells[name] = text
        if not any(cells.values()):
            continue
        code = cells.get("school_code") or cells.get("area_code", "")
        if formula:
            refused.append(
                Refusal(
                    line,
                    code[:10],
                    _("The column %(column)s holds a formula: save the file with values only.")
                    % {"column": HEADER[formula]},
                )
            )
            continue
        rows.append(_Row(line, cells))
    return rows, refused


# --- checking each row ----------------------------------------------------------------------


class _RowError(Exception):
    pass


def _clean_area(row: _Row, kinds: dict[str, str]) -> dict:
    c = row.cells
    if not AREA_CODE.fullmatch(c["area_code"]):
        raise _RowError(_("The area office code must be 8 digits."))
    _check_names(c)
    kind = kinds.get(_word(c.get("area_kind", "")))
    if kind is None:
        raise _RowError(_("The area office kind must be primary (สพป.) or secondary (สพม.)."))
    return {
        "code": c["area_code"],
        "name_th": c["name_th"],
        "name_en": c.get("name_en", ""),
        "kind": kind,
        "province": c.get("province", ""),
    }


def _check_names(cells: dict) -> None:
    if not cells.get("name_th"):
        raise _RowError(_("The Thai name is missing."))
    for name, limit in LENGTHS.items():
        if len(cells.get(name, "")) > limit:
            raise _RowError(
                _("The column %(column)s is longer than %(max)d characters.")
                % {"column": HEADER[name], "max": limit}
            )


def _clean_school(row: _Row, words: dict[str, dict[str, str]]) -> dict:
    c = row.cells
    if not SCHOOL_CODE.fullmatch(c["school_code"]):
        raise _RowError(_("The school code must be 10 digits (the ministry's SMIS code)."))
    if not AREA_CODE.fullmatch(c["area_code"]):
        raise _RowError(_("The area office code must be 8 digits."))
    _check_names(c)
    if not c.get("province"):
        raise _RowError(_("The province is missing."))
    grades = []
    for name in ("lowest_grade", "highest_grade"):
        grade = words["grade"].get(_word(c.get(name, "")))
        if grade is None:
            raise _RowError(
                _("The column %(column)s must be a grade such as อ.1, ป.1 or ม.6.")
                % {"column": HEADER[name]}
            )
        grades.append(grade)
    if grades[0] > grades[1]:
        raise _RowError(_("The lowest grade taught is above the highest."))
    size = ""
    if c.get("size"):
        size = words["size"].get(_word(c["size"]))
        if size is None:
            raise _RowError(
                _(
                    "The size class must be small, medium, large or extra large (เล็ก, กลาง, ใหญ่, ใหญ่พิเศษ)."
                )
            )
    status = words["status"].get(_word(c.get("status") or "open"))
    if status is None:
        raise _RowError(_("The status must be open, closed or merged (เปิด, ปิด, ควบรวม)."))
    closed_on = None
    if c.get("closed_on"):
        try:
            closed_on = date_from_text(c["closed_on"])
        except ValidationError as exc:
            raise _RowError(
                _("The closing date: %(reason)s") % {"reason": exc.messages[0]}
            ) from None
    merged_into = c.get("merged_into", "")
    if status == School.Status.OPEN and (closed_on or merged_into):
        raise _RowError(_("An open school has no closing date and is merged into no school."))
    if status == School.Status.MERGED:
        if not SCHOOL_CODE.fullmatch(merged_into):
            raise _RowError(_("A merged school names the 10-digit code of the school it joined."))
        if merged_into == c["school_code"]:
            raise _RowError(_("A school cannot be merged into itself."))
    elif merged_into:
        raise _RowError(_("Only a merged school names a school it joined."))
    return {
        "code": c["school_code"],
        "name_th": c["name_th"],
        "name_en": c.get("name_en", ""),
        "area_office": c["area_code"],
        "province": c["province"],
        "district": c.get("district", ""),
        "subdistrict": c.get("subdistrict", ""),
        "lowest_grade": grades[0],
        "highest_grade": grades[1],
        "size": size,
        "status": status,
        "closed_on": closed_on,
        "merged_into": merged_into or None,
    }


def _duplicates(rows: list[_Row], key: str) -> dict[int, str]:
    """Return, for each row whose code appears more than once, the message naming the others."""
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        lines[row.cells[key]].append(row.line)
    found = {}
    for code, where in lines.items():
        if code and len(where) > 1:
            for line in where:
                others = ", ".join(str(o) for o in where if o != line)
                found[line] = _(
                    "The code %(code)s appears more than once (also on line %(lines)s)."
                ) % {
                    "code": code,
                    "lines": others,
                }
    return found


# --- the plan ---------------------------------------------------------------------------------


def _as_text(value) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _diff(old: dict, new: dict, fields) -> dict:
    changes = {}
    for name in fields:
        before, after = _as_text(old[name]), _as_text(new[name])
        if before != after:
            changes[name] = [before, after]
    return changes


def register_plan(*, data: bytes, filename: str, today: date | None = None) -> Plan:
    """Read a school-list file and return what it would change; write nothing.

    Raise ValidationError for a file that cannot be read as a whole; a bad row is refused in
    the plan with its line and reason."""
    with without_gc_pauses():
        return _plan(data=data, filename=filename, today=today or timezone.localdate())


def _plan(*, data: bytes, filename: str, today: date) -> Plan:
    plan = Plan(sha256=hashlib.sha256(data).hexdigest())
    rows, plan.refused = _read(data, filename)
    plan.rows = len(rows) + len(plan.refused)
    kinds = _kinds()
    words = {"grade": _grades(), "size": _sizes(), "status": _statuses()}
    area_rows = [r for r in rows if not r.cells.get("school_code")]
    school_rows = [r for r in rows if r.cells.get("school_code")]
    duplicated = {**_duplicates(area_rows, "area_code"), **_duplicates(school_rows, "school_code")}

    def refuse(row: _Row, message: str) -> None:
        plan.refused.append(
            Refusal(
                row.line, (row.cells.get("school_code") or row.cells["area_code"])[:10], message
            )
        )

    areas: dict[str, tuple[_Row, dict]] = {}
    for row in area_rows:
        if row.line in duplicated:
            refuse(row, duplicated[row.line])
            continue
        try:
            areas[row.cells["area_code"]] = (row, _clean_area(row, kinds))
        except _RowError as exc:
            refuse(row, str(exc))
    schools: dict[str, tuple[_Row, dict]] = {}
    for row in school_rows:
        if row.line in duplicated:
            refuse(row, duplicated[row.line])
            continue
        try:
            schools[row.cells["school_code"]] = (row, _clean_school(row, words))
        except _RowError as exc:
            refuse(row, str(exc))

    # The database, in three queries whatever the file's length.
    db_areas = {
        a["code"]: a for a in AreaOffice.objects.values("pk", "code", *AREA_FIELDS).order_by()
    }
    db_schools = {
        s["code"]: s
        for s in School.objects.values(
            "pk", "code", *(f for f in SCHOOL_FIELDS if f not in ("area_office", "merged_into")),
            area_office_code=F("area_office__code"),
            merged_into_code=F("merged_into__code"),
        ).order_by()
    }  # fmt: skip
    for s in db_schools.values():
        s["area_office"] = s.pop("area_office_code")
        s["merged_into"] = s.pop("merged_into_code")

    for code, (row, new) in areas.items():
        old = db_areas.get(code)
        if old is None:
            plan.added.append(_change("area_office", "add", row, new, {}))
        elif changes := _diff(old, new, AREA_FIELDS):
            plan.changed.append(_change("area_office", "change", row, new, changes))
        else:
            plan.unchanged += 1

    refused_areas = {
        r.cells["area_code"]: r.line for r in area_rows if r.cells["area_code"] not in areas
    }
    for code, (row, new) in list(schools.items()):
        area = new["area_office"]
        if area not in areas and area not in db_areas:
            if area in refused_areas:
                message = _("Its area office %(area)s is refused on line %(line)d.") % {
                    "area": area, "line": refused_areas[area],
                }  # fmt: skip
            else:
                message = _(
                    "The area office %(area)s does not exist: it is neither in the register nor in this file."
                ) % {"area": area}
            refuse(row, message)
            del schools[code]
    # A merged school joins a school that stays open after this file.
    for code, (row, new) in list(schools.items()):
        target = new["merged_into"]
        if not target:
            continue
        if target in schools:
            target_open = schools[target][1]["status"] == School.Status.OPEN
        elif target in db_schools:
            target_open = db_schools[target]["status"] == School.Status.OPEN
        else:
            refuse(row, _("The school %(code)s it merges into does not exist.") % {"code": target})
            del schools[code]
            continue
        if not target_open:
            refuse(row, _("The school %(code)s it merges into is not open.") % {"code": target})
            del schools[code]

    closing = []
    for code, (row, new) in schools.items():
        old = db_schools.get(code)
        if new["status"] != School.Status.OPEN and new["closed_on"] is None:
            # No date in the file: a school already closed keeps its date, one closing now is
            # closed today.
            closed = old["closed_on"] if old and old["status"] != School.Status.OPEN else None
            new["closed_on"] = closed or today
        if old is None:
            plan.added.append(_change("school", "add", row, new, {}))
            continue
        changes = _diff(old, new, SCHOOL_FIELDS)
        if not changes:
            plan.unchanged += 1
        elif old["status"] == School.Status.OPEN and new["status"] != School.Status.OPEN:
            closing.append(_change("school", "close", row, new, changes))
        else:
            plan.changed.append(_change("school", "change", row, new, changes))

    active = _active_learners([c.code for c in closing])
    for change in closing:
        count = active.get(change.code, 0)
        if count:
            plan.refused.append(
                Refusal(
                    change.line,
                    change.code,
                    _(
                        "The school still has %(count)d active learners: move them to another "
                        "school or end their enrollments before it closes."
                    )
                    % {"count": count},
                )
            )
        else:
            plan.closed.append(change)
    for items in (plan.added, plan.changed, plan.closed, plan.refused):
        items.sort(key=lambda item: item.line)
    return plan


def _change(kind: str, action: str, row: _Row, new: dict, changes: dict) -> Change:
    code = new["code"]
    return Change(kind, action, row.line, code, new["name_th"], changes, new)


def _active_learners(codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = Counter()
    for start in range(0, len(codes), 500):  # well under SQLite's bound parameters
        found.update(
            dict(
                Enrollment.objects.filter(
                    status=EnrollmentStatus.ACTIVE, school__code__in=codes[start : start + 500]
                )
                .values_list("school__code")
                .annotate(n=Count("pk"))
                .values_list("school__code", "n")
                .order_by()
            )
        )
    return found


# --- applying it ------------------------------------------------------------------------------


@transaction.atomic
def register_apply(
    *,
    data: bytes,
    filename: str,
    actor: User | None,
    expected_digest: str | None = None,
    register_import: RegisterImport | None = None,
) -> Plan:
    """Plan a school-list file again and write every change it plans in one transaction, with a
    change-log row each; refuse if the plan is not the one previewed (``expected_digest``)."""
    plan = register_plan(data=data, filename=filename)
    if expected_digest is not None and plan.digest != expected_digest:
        raise ValidationError(
            _(
                "The register changed since this file was previewed: nothing was saved. "
                "Upload the file again to see what it would change now."
            ),
            code="stale",
        )
    register_write(plan=plan, actor=actor, register_import=register_import)
    return plan


@transaction.atomic
def register_write(
    *, plan: Plan, actor: User | None, register_import: RegisterImport | None = None
) -> None:
    """Write a plan just made in the same transaction (register_apply): the new rows, the
    changed ones and a change-log row each, in bulk statements."""
    if plan.nothing_to_do:
        return
    try:
        with transaction.atomic(), without_gc_pauses():
            _write(plan, actor=actor, register_import=register_import, now=timezone.now())
    except IntegrityError as exc:
        # Another import or an edit wrote the same codes between this plan and its write.
        raise ValidationError(
            _("The register changed while this file was saved: nothing was saved. Try again."),
            code="race",
        ) from exc


def _write(plan: Plan, *, actor: User | None, register_import: RegisterImport | None, now) -> None:
    areas = [c for c in plan.changes if c.kind == RegisterChange.Kind.AREA_OFFICE]
    schools = [c for c in plan.changes if c.kind == RegisterChange.Kind.SCHOOL]
    insert_rows(
        AreaOffice,
        ("code", *AREA_FIELDS),
        [(c.code, *(c.values[f] for f in AREA_FIELDS)) for c in areas if c.action == "add"],
    )
    area_ids = dict(AreaOffice.objects.values_list("code", "pk").order_by())
    existing_areas = [c for c in areas if c.action != "add"]
    update_rows(
        AreaOffice,
        AREA_FIELDS,
        [(area_ids[c.code], *(c.values[f] for f in AREA_FIELDS)) for c in existing_areas],
    )
    new = [c for c in schools if c.action == "add"]
    existing = [c for c in schools if c.action != "add"]
    # The ids of schools already in the register, read once and only when a row needs them.
    needed = bool(existing) or any(c.values["merged_into"] for c in new)
    school_ids = dict(School.objects.values_list("code", "pk").order_by()) if needed else {}

    def school_row(c: Change) -> tuple:
        v = {**c.values, "area_office": area_ids[c.values["area_office"]]}
        v["merged_into"] = school_ids[v["merged_into"]] if v["merged_into"] else None
        return tuple(v[f] for f in SCHOOL_FIELDS)

    # A school merged into a school that this file adds is written after it (the database
    # checks that a merged school names its school).
    first, later = [], []
    for c in new:
        target = c.values["merged_into"]
        (first if not target or target in school_ids else later).append(c)
    insert_rows(School, ("code", *SCHOOL_FIELDS), [(c.code, *school_row(c)) for c in first])
    if later:
        school_ids = dict(School.objects.values_list("code", "pk").order_by())
        insert_rows(School, ("code", *SCHOOL_FIELDS), [(c.code, *school_row(c)) for c in later])
    update_rows(School, SCHOOL_FIELDS, [(school_ids[c.code], *school_row(c)) for c in existing])
    # A row added is its own record of what it holds (the file is kept with its SHA-256): its
    # log entry says who added it, when and from which file; a change logs old → new.
    insert_rows(
        RegisterChange,
        ("register_import", "actor", "kind", "code", "action", "changes", "source_sha256", "created_at"),
        [
            (register_import.pk if register_import else None, actor.pk if actor else None,
             c.kind, c.code, c.action, c.changes, plan.sha256, now)
            for c in plan.changes
        ],
    )  # fmt: skip


def _added(change: Change) -> dict:
    fields = AREA_FIELDS if change.kind == RegisterChange.Kind.AREA_OFFICE else SCHOOL_FIELDS
    return {f: ["", text] for f in fields if (text := _as_text(change.values[f]))}


# --- the ministry's page: a file kept from its preview to its apply ---------------------------


def _read_upload(uploaded_file, *, limit: int) -> bytes:
    if uploaded_file.size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)},
            code="too_large",
        )
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)},
            code="too_large",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return data


def register_import_preview(*, uploaded_file, actor: User) -> tuple[RegisterImport, Plan]:
    """Plan an uploaded school-list file and keep it, under a uuid with its SHA-256, for apply."""
    data = _read_upload(uploaded_file, limit=settings.SCHOOL_REGISTER_MAX_BYTES)
    suffix = ".xlsx" if data.startswith(b"PK") else ".csv"
    plan = register_plan(data=data, filename=uploaded_file.name)
    record = RegisterImport(
        original_name=uploaded_file.name[:200],
        size=len(data),
        sha256=plan.sha256,
        plan_digest=plan.digest,
        summary=plan.summary(),
        uploaded_by=actor,
    )
    record.file.save(f"{record.public_id}{suffix}", ContentFile(data), save=False)
    record.save()
    return record, plan


@transaction.atomic
def register_import_apply(*, register_import: RegisterImport, actor: User) -> Plan:
    """Apply a previewed file: the same bytes, planned again, must plan what the preview showed."""
    record = RegisterImport.objects.select_for_update().get(pk=register_import.pk)
    if record.status == RegisterImport.Status.APPLIED:
        raise ValidationError(_("This file was applied already."), code="applied")
    with record.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise ValidationError(
            _("The kept file is not the file that was previewed: nothing was saved."),
            code="tampered",
        )
    plan = register_apply(
        data=data,
        filename=record.original_name,
        actor=actor,
        expected_digest=record.plan_digest,
        register_import=record,
    )
    record.status = RegisterImport.Status.APPLIED
    record.applied_at = timezone.now()
    record.save(update_fields=["status", "applied_at"])
    return plan
