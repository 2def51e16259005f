# ruff: noqa: S311 - seeded pseudo-random numbers make synthetic data, not secrets
"""Synthetic national-scale data: area offices, schools, learners, logins, and a count round.

Every synthetic row is recognisable by a reserved range, so the loader can tell its own data from
anyone else's and refuse to touch a database that holds real (or demo) data:

- area office codes ``SC001`` … (real codes are four digits);
- school codes ``99`` followed by eight digits (real ministry codes start with 1);
- citizen IDs that start with ``9`` (no Thai citizen-ID category is 9; the check digit is valid)
  and G-codes that start with ``G99`` (issued G-codes carry the year: ``G69…``);
- logins ``scale.…``.

The data is a function of the seed and the sizes: a run wipes the synthetic rows (TRUNCATE, the
database holds nothing else) and streams them back with ``COPY``, so a second run with the same
seed gives the same rows; when the database already holds exactly that data it does nothing.
PostgreSQL only: the embedded SQLite default has neither COPY nor TRUNCATE, and 6.5 million
learners do not belong in it.
"""

import math
import random
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import mul

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import (
    Membership,
    Role,
    User,
)
from accounts.permissions import object_permission_rows
from census.models import AcademicYear, RosterSnapshot, Round, SchoolRound, SnapshotRow
from census.services import academic_year_create, snapshots_freeze
from schools.bulk import insert_rows
from schools.calendar import academic_year_of
from schools.models import (
    AreaOffice,
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    Measurement,
    School,
    Student,
)

from . import names as demo_names
from .management.commands.seed_demo import typical_weight_height

AREA_PREFIX = "SC"
SCHOOL_PREFIX = "99"
CITIZEN_PREFIX = "9"
GCODE_PREFIX = "G99"
USER_PREFIX = "scale."
SCALE_PASSWORD = "opendmc-scale"  # noqa: S105 - printed on purpose: the synthetic logins

# The real proportions: 183 of 245 area offices are primary; about 8 % of schools are secondary;
# about a fifth of primary schools also teach ม.1–3 ("expanded opportunity" schools).
SECONDARY_AREA_SHARE = 62 / 245
SECONDARY_SCHOOL_SHARE = 0.082
EXPANDED_SHARE = 0.2
MEASURED_SHARE = 0.98  # the rest have no weight/height yet: errors on the data-checks page
ROOM_SIZE = 40
BATCH = 50_000

GRADES = list(Grade.values)
PRIMARY_GRADES = GRADES[:9]  # อ.1–ป.6
EXPANDED_GRADES = GRADES[:12]  # อ.1–ม.3
SECONDARY_GRADES = GRADES[9:]  # ม.1–ม.6

PROVINCES = ("เชียงใหม่", "ขอนแก่น", "นครราชสีมา", "อุบลราชธานี", "สงขลา", "ชลบุรี", "ตาก",
             "นครศรีธรรมราช", "เชียงราย", "พิษณุโลก", "สุรินทร์", "กาญจนบุรี", "ระยอง", "น่าน")  # fmt: skip
PLACES = ("หนองบัว", "โนนสูง", "ดอนแก้ว", "ห้วยทราย", "นาคำ", "โคกสะอาด", "หนองแวง", "ป่าตึง",
          "ท่าช้าง", "วังน้ำเย็น", "หัวฝาย", "แม่สาย", "ดงมะไฟ", "บ่อทอง", "สันป่าตอง", "ทุ่งโพธิ์")  # fmt: skip
GCODE_NATIONALITIES = ("เมียนมา", "ลาว", "กัมพูชา", "ไม่ระบุสัญชาติ")

# Multipliers that spread the sequence numbers over the ID space: coprime to 10, so i → (a·i + b)
# mod 10ⁿ is a bijection and every learner gets a different, random-looking number.
_CID_SPACE, _CID_MULT = 10**11, 7_919_003_171
_GCODE_SPACE, _GCODE_MULT = 10**10, 1_000_003


class ScaleRefused(Exception):
    """The database holds data that seed_scale did not create, or is not PostgreSQL."""


@dataclass
class Plan:
    """What a seed and the sizes produce, before any row is written."""

    seed: int
    areas: list[tuple] = field(default_factory=list)  # (id, code, kind, province)
    schools: list[tuple] = field(default_factory=list)  # (id, code, area_id, grades, size, gshare)


def synthetic_school_q() -> Q:
    return Q(code__startswith=SCHOOL_PREFIX)


def check_database() -> None:
    """Raise ScaleRefused unless the database is PostgreSQL and holds only synthetic data."""
    if connection.vendor != "postgresql":
        raise ScaleRefused(
            "seed_scale needs PostgreSQL (COPY and TRUNCATE); set DATABASE_URL to a database of "
            "its own, e.g. postgres://postgres@127.0.0.1:5432/opendmc_scale. The embedded SQLite "
            "default is for the demo (seed_demo)."
        )
    foreign = {
        "area offices": AreaOffice.objects.exclude(code__startswith=AREA_PREFIX),
        "schools": School.objects.exclude(synthetic_school_q()),
        "learners": Student.objects.exclude(citizen_id__startswith=CITIZEN_PREFIX).exclude(
            gcode__startswith=GCODE_PREFIX
        ),
    }
    found = [name for name, qs in foreign.items() if qs.exists()]
    if found:
        raise ScaleRefused(
            "This database holds " + ", ".join(found) + " that seed_scale did not create "
            "(real or demo data). seed_scale wipes and reloads its rows, so it runs only on a "
            "database of its own: createdb opendmc_scale and point DATABASE_URL at it."
        )


_WEIGHTS = tuple(range(13, 1, -1))
_ASCII_ZERO_SUM = ord("0") * sum(_WEIGHTS)


def citizen_id_for(index: int, offset: int) -> str:
    """Return the synthetic citizen ID of the learner at that index: 9…, valid check digit."""
    twelve = CITIZEN_PREFIX + f"{(_CID_MULT * index + offset) % _CID_SPACE:011d}"
    # identifiers.citizen_id_check_digit over bytes, 6× faster: 6.5 million of them add up.
    total = sum(map(mul, twelve.encode(), _WEIGHTS)) - _ASCII_ZERO_SUM
    return twelve + str((11 - total % 11) % 10)


def gcode_for(index: int, offset: int) -> str:
    """Return the synthetic G-code of the learner at that index: G99 and ten digits."""
    return GCODE_PREFIX + f"{(_GCODE_MULT * index + offset) % _GCODE_SPACE:010d}"


def _apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split total into integers proportional to weights (largest remainder), each ≥ minimum."""
    n = len(weights)
    if n == 0:
        return []
    base = min(minimum, total // n)
    rest = total - base * n
    scale = rest / (sum(weights) or 1)
    quotas = [w * scale for w in weights]
    shares = [int(q) for q in quotas]
    left = rest - sum(shares)
    for i in sorted(range(n), key=lambda i: quotas[i] - shares[i], reverse=True)[:left]:
        shares[i] += 1
    return [base + s for s in shares]


def plan(*, areas: int, schools: int, learners: int, seed: int) -> Plan:
    """Lay out the area offices and the schools (grades, size, G-code share) for a seed."""
    rng = random.Random(f"plan-{seed}")
    result = Plan(seed=seed)
    secondary_areas = round(areas * SECONDARY_AREA_SHARE) if areas > 1 else 0
    for i in range(areas):
        kind = (
            AreaOffice.Kind.SECONDARY if i >= areas - secondary_areas else AreaOffice.Kind.PRIMARY
        )
        result.areas.append(
            (i + 1, f"{AREA_PREFIX}{i + 1:03d}", kind, PROVINCES[i % len(PROVINCES)])
        )
    primary_ids = [a[0] for a in result.areas if a[2] == AreaOffice.Kind.PRIMARY]
    secondary_ids = [a[0] for a in result.areas if a[2] == AreaOffice.Kind.SECONDARY]
    n_secondary = max(1, round(schools * SECONDARY_SCHOOL_SHARE)) if secondary_ids else 0
    n_secondary = min(n_secondary, schools - (1 if primary_ids else 0))
    placements: list[int] = []
    for ids, count in ((primary_ids, schools - n_secondary), (secondary_ids, n_secondary)):
        # Area offices differ in size too: a few hold twice the average.
        per_area = _apportion(count, [rng.lognormvariate(0, 0.35) for _ in ids], minimum=1)
        for area_id, n in zip(ids, per_area, strict=True):
            placements += [area_id] * n
    weights, kinds = [], []
    for area_id in placements:
        if area_id in secondary_ids:
            grades, factor = SECONDARY_GRADES, 3.0
        elif rng.random() < EXPANDED_SHARE:
            grades, factor = EXPANDED_GRADES, 1.3
        else:
            grades, factor = PRIMARY_GRADES, 1.0
        kinds.append(grades)
        # Lognormal sizes: half the schools under ~120 learners, a few dozen over 3,000.
        weights.append(rng.lognormvariate(0, 1.1) * factor)
    sizes = _apportion(learners, weights, minimum=1)
    for i, (area_id, grades, size) in enumerate(zip(placements, kinds, sizes, strict=True)):
        # G-code learners gather in a few (border) schools: about 1.3 % overall.
        gshare = 0.06 if rng.random() < 0.15 else 0.005
        result.schools.append((i + 1, f"{SCHOOL_PREFIX}{i + 1:08d}", area_id, grades, size, gshare))
    return result


def already_seeded(p: Plan, learners: int) -> bool:
    """Return whether the database holds exactly this plan's data (same seed, same sizes)."""
    first = AreaOffice.objects.filter(code=f"{AREA_PREFIX}001").values_list("name_en", flat=True)
    return (
        bool(p.areas)
        and list(first) == [_area_name_en(1, p.seed)]
        and AreaOffice.objects.count() == len(p.areas)
        and School.objects.count() == len(p.schools)
        and Student.objects.count() == learners
        and User.objects.filter(username__startswith=USER_PREFIX).count() == expected_users(p)
    )


def expected_users(p: Plan) -> int:
    return 1 + len(p.areas) + 2 * len(p.schools)


def _area_name_en(number: int, seed: int) -> str:
    return f"Synthetic area office {number} (seed {seed})"


def academic_year_start(today: date) -> int:
    """Return the Christian-era year in which the current academic year began (16 May)."""
    return academic_year_of(today) - 543


class Meter:
    """Count rows per table and report rows per second."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self.rows: dict[str, int] = {}
        self.started = time.perf_counter()

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n

    def phase(self, label: str, started: float, n: int) -> None:
        seconds = time.perf_counter() - started
        self.say(f"  {label}: {n:,} rows in {seconds:.1f} s ({n / max(seconds, 1e-9):,.0f} rows/s)")

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def _wipe() -> None:
    """Remove every synthetic row: the schools' tables and everything hanging off them."""
    national = list(
        Membership.objects.filter(school__isnull=True, area_office__isnull=True)
        .exclude(user__username__startswith=USER_PREFIX)
        .values("user_id", "role", "starts_on", "ends_on", "created_at")
    )
    with connection.cursor() as cursor:
        # Every school, learner and process here is synthetic (check_database), so TRUNCATE …
        # CASCADE empties what refers to them: enrollments, rounds' school states, processes.
        cursor.execute(
            "TRUNCATE schools_areaoffice, schools_school, schools_student, viewflow_process "
            "RESTART IDENTITY CASCADE"
        )
        scale_users = "SELECT id FROM accounts_user WHERE username LIKE %s"
        like = [USER_PREFIX.replace("_", r"\_") + "%"]
        cursor.execute(
            "DELETE FROM otp_static_statictoken WHERE device_id IN (SELECT id FROM "  # noqa: S608
            f"otp_static_staticdevice WHERE user_id IN ({scale_users}))",
            like,
        )
        actors = f"DELETE FROM accounts_securityevent WHERE actor_id IN ({scale_users})"  # noqa: S608
        cursor.execute(actors, like)
        for table in ("django_admin_log", "accounts_user_groups", "accounts_user_user_permissions",
                      "guardian_userobjectpermission", "otp_static_staticdevice",
                      "otp_totp_totpdevice", "accounts_usersession",
                      "accounts_securityevent"):  # fmt: skip
            cursor.execute(f"DELETE FROM {table} WHERE user_id IN ({scale_users})", like)  # noqa: S608
        cursor.execute("DELETE FROM accounts_user WHERE username LIKE %s", like)
    # The national memberships of other logins (an operator's ministry admin) survive the wipe.
    Membership.objects.bulk_create(Membership(**m) for m in national)


@contextmanager
def _indexes_rebuilt_after(*models):
    """Drop the tables' secondary indexes, unique and foreign-key constraints for the block, then
    build them again: one sort per index and one anti-join per key instead of millions of probes.

    The primary keys stay (other tables' keys point at them); the definitions are read back from
    the catalog, so the migrations stay the one source of the schema."""
    tables = [m._meta.db_table for m in models]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f') ORDER BY contype DESC",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE contype IN ('p', 'u', 'x'))",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def _reset_sequences(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)",
                [table],
            )


def _load_places(p: Plan, meter: Meter, now: datetime) -> None:
    started = time.perf_counter()
    rows = [
        (aid, code, f"สำนักงานเขตพื้นที่การศึกษา{'ประถม' if kind == 'primary' else 'มัธยม'}ศึกษา"
         f"สังเคราะห์ เขต {aid}", _area_name_en(aid, p.seed), kind, province)
        for aid, code, kind, province in p.areas
    ]  # fmt: skip
    insert_rows(AreaOffice, ["id", "code", "name_th", "name_en", "kind", "province"], rows)
    meter.add("area offices", len(rows))
    provinces = {a[0]: a[3] for a in p.areas}
    rng = random.Random(f"schools-{p.seed}")
    rows = [
        (sid, code, f"โรงเรียนบ้าน{rng.choice(PLACES)}", f"Synthetic school {code}", area_id,
         provinces[area_id], "", "", "", grades[0], grades[-1])
        for sid, code, area_id, grades, _size, _g in p.schools
    ]  # fmt: skip
    insert_rows(
        School,
        ["id", "code", "name_th", "name_en", "area_office", "province", "district", "subdistrict",
         "size", "lowest_grade", "highest_grade"],
        rows,
    )  # fmt: skip
    meter.add("schools", len(rows))
    meter.phase("area offices and schools", started, len(p.areas) + len(rows))


STUDENT_FIELDS = ["id", "public_id", "citizen_id", "gcode", "title", "first_name_th",
                  "last_name_th", "first_name_en", "last_name_en", "sex", "birth_date",
                  "nationality", "created_at", "updated_at"]  # fmt: skip
ENROLLMENT_FIELDS = ["id", "student", "school", "grade", "room", "status", "started_on",
                     "exit_note", "created_at", "updated_at"]  # fmt: skip
MEASUREMENT_FIELDS = ["id", "student", "measured_on", "weight_kg", "height_cm", "source",
                      "created_at"]  # fmt: skip
ISSUED_GCODE_FIELDS = ["gcode", "source", "school", "learner_name", "student", "request_key",
                       "registered_at"]  # fmt: skip


def _load_learners(p: Plan, meter: Meter, now: datetime, today: date) -> None:
    """Stream learners, their enrollments and measurements, school by school, in batches."""
    year = academic_year_start(today)
    started_on, measured_on = date(year, 5, 16), date(year, 5, 20)
    rng = random.Random(f"learners-{p.seed}")
    cid_offset, g_offset = rng.randrange(_CID_SPACE), rng.randrange(_GCODE_SPACE)
    boys, girls, family = demo_names.BOYS, demo_names.GIRLS, demo_names.FAMILY
    roman_boys, roman_girls, roman_family = (
        demo_names.ROMAN_BOYS, demo_names.ROMAN_GIRLS, demo_names.ROMAN_FAMILY,
    )  # fmt: skip
    grade_index = {g: i for i, g in enumerate(GRADES)}
    birth_base = {g: date(year - (4 + i) - 1, 5, 17) for g, i in grade_index.items()}
    students, enrollments, measurements, issued = [], [], [], []
    seq = 0
    started = time.perf_counter()

    def flush() -> None:
        for model, fields, rows, name in (
            (Student, STUDENT_FIELDS, students, "learners"),
            (Enrollment, ENROLLMENT_FIELDS, enrollments, "enrollments"),
            (Measurement, MEASUREMENT_FIELDS, measurements, "measurements"),
            # Menu 2.7.4 adds a learner only with a recorded G-code, as the demo's are.
            (IssuedGCode, ISSUED_GCODE_FIELDS, issued, "issued G-codes"),
        ):
            meter.add(name, insert_rows(model, fields, rows))
            rows.clear()

    for sid, _code, _area, grades, size, gshare in p.schools:
        if size == 0:
            continue
        chosen = sorted(rng.choices(grades, k=size), key=grade_index.__getitem__)
        per_grade: dict[str, int] = {}
        for g in chosen:
            per_grade[g] = per_grade.get(g, 0) + 1
        position: dict[str, int] = {}
        for grade in chosen:
            seq += 1
            k = position[grade] = position.get(grade, -1) + 1
            rooms = math.ceil(per_grade[grade] / ROOM_SIZE)
            gi = grade_index[grade]
            age = 4 + gi
            male = rng.random() < 0.5
            use_g = rng.random() < gshare
            english = rng.random() < 0.3
            if age >= 15:
                title = "นาย" if male else "น.ส."
            else:
                title = "ด.ช." if male else "ด.ญ."
            students.append((
                seq,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                None if use_g else citizen_id_for(seq, cid_offset),
                gcode_for(seq, g_offset) if use_g else None,
                title,
                rng.choice(boys if male else girls),
                rng.choice(family),
                rng.choice(roman_boys if male else roman_girls) if english else "",
                rng.choice(roman_family) if english else "",
                "M" if male else "F",
                birth_base[grade] + timedelta(days=rng.randrange(364)),
                rng.choice(GCODE_NATIONALITIES) if use_g else "ไทย",
                now,
                now,
            ))  # fmt: skip
            enrollments.append(
                (seq, seq, sid, grade, k % rooms + 1, EnrollmentStatus.ACTIVE, started_on, "",
                 now, now)
            )  # fmt: skip
            if use_g:
                issued.append((gcode_for(seq, g_offset), IssuedGCode.Source.EARLIER, sid, "", seq,
                               "", now))  # fmt: skip
            if rng.random() < MEASURED_SHARE:
                weight, height = typical_weight_height(age, rng.uniform(-0.06, 0.06))
                measurements.append(
                    (seq, seq, measured_on, f"{weight:.1f}", f"{height:.1f}",
                     Measurement.Source.SEED, now)
                )  # fmt: skip
        if len(students) >= BATCH:
            flush()
    flush()
    n = meter.rows.get("learners", 0) + meter.rows.get("enrollments", 0)
    meter.phase("learners, enrollments, measurements", started,
                n + meter.rows.get("measurements", 0))  # fmt: skip


def _load_logins(p: Plan, meter: Meter, now: datetime) -> None:
    """Create one area officer per area office, staff and director per school, one ministry admin;
    their memberships and the guardian rows sync_user_permissions would write."""
    started = time.perf_counter()
    password = make_password(SCALE_PASSWORD)  # one hash for all: hashing 58,000 would take hours
    users = [
        (f"{USER_PREFIX}admin", "ผู้ดูแล", "สพฐ. (สังเคราะห์)", True, None, None, Role.MINISTRY_ADMIN)
    ]
    for aid, code, _kind, _prov in p.areas:
        users.append((f"{USER_PREFIX}area.{code.lower()}", "เจ้าหน้าที่เขต", code, False, None, aid,
                      Role.AREA_OFFICER))  # fmt: skip
    for sid, code, *_rest in p.schools:
        users.append((f"{USER_PREFIX}staff.{code}", "ครูธุรการ", code, False, sid, None, Role.STAFF))
        users.append((f"{USER_PREFIX}director.{code}", "ผู้อำนวยการ", code, False, sid, None,
                      Role.DIRECTOR))  # fmt: skip
    insert_rows(
        User,
        ["username", "password", "first_name", "last_name", "email", "is_staff", "is_superuser",
         "is_active", "date_joined", "title", "language", "session_salt", "public_id"],
        [(u, password, first, last, f"{u}@scale.opendmc.invalid", staff, False, True, now, "", "",
          "", uuid.uuid4())
         for u, first, last, staff, *_rest in users],
    )  # fmt: skip
    ids = dict(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", "id"))
    since = date(2020, 5, 16)
    insert_rows(
        Membership,
        ["user", "role", "school", "area_office", "starts_on", "created_at"],
        [(ids[u], role, sid, aid, since, now) for u, *_n, sid, aid, role in users],
    )
    granted = object_permission_rows((ids[u], role, sid, aid) for u, *_n, sid, aid, role in users)
    for model, rows in granted.items():
        insert_rows(model, ["user", "permission", "content_object"], rows)
    meter.add("logins", len(users))
    meter.add("memberships", len(users))
    permissions = sum(len(rows) for rows in granted.values())
    meter.add("object permissions", permissions)
    meter.phase("logins, memberships, object permissions", started,
                2 * len(users) + permissions)  # fmt: skip


def seed_scale(
    *, areas: int, schools: int, learners: int, seed: int = 1, force: bool = False,
    today: date | None = None, say: Callable[[str], None] = print,
) -> dict:  # fmt: skip
    """Fill the database with synthetic area offices, schools, learners and logins; return counts.

    Refuses (ScaleRefused) anything but PostgreSQL holding only synthetic data."""
    if areas < 1 or schools < 1 or learners < 0:
        raise ScaleRefused("--areas and --schools must be at least 1, --learners at least 0.")
    if schools < areas:
        raise ScaleRefused("Every area office needs a school: --schools must be ≥ --areas.")
    check_database()
    p = plan(areas=areas, schools=schools, learners=learners, seed=seed)
    if not force and already_seeded(p, learners):
        say(f"Already seeded with seed {seed} and these sizes: nothing to do (--force reloads).")
        return {"skipped": True, "rows": 0, "seconds": 0.0}
    today = today or timezone.localdate()
    # A fixed moment: the same seed gives the same rows, timestamps included.
    now = datetime(academic_year_start(today), 5, 16, 8, tzinfo=timezone.get_current_timezone())
    meter = Meter(say)
    with transaction.atomic():
        # Foreign keys are checked at the end of each COPY, not queued for millions of rows.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        _wipe()
        say(f"  wiped the previous synthetic data in {time.perf_counter() - started:.1f} s")
        _load_places(p, meter, now)
        with _indexes_rebuilt_after(Student, Enrollment, Measurement):
            _load_learners(p, meter, now, today)
            started = time.perf_counter()
        say(f"  indexes and keys rebuilt in {time.perf_counter() - started:.1f} s")
        _load_logins(p, meter, now)
        _reset_sequences(AreaOffice, School, Student, Enrollment, Measurement)
    started = time.perf_counter()
    # VACUUM sets the visibility map, so counts read the indexes alone (index-only scans), as
    # on a database that autovacuum keeps; inside a transaction (the tests) ANALYZE has to do.
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    say(f"  {statement} in {time.perf_counter() - started:.1f} s")
    return {"skipped": False, "rows": meter.total, "seconds": meter.seconds, **meter.rows}


# --- a count round with schools in every state ----------------------------------------------------

ROUND_MIX = (("certified", 0.45), ("acknowledged", 0.05), ("confirmed", 0.2), ("prepared", 0.15),
             ("not_started", 0.15))  # fmt: skip

_SNAPSHOTS_SQL = """
INSERT INTO census_rostersnapshot (public_id, school_round_id, school_id, round_id, status, as_of,
    certified_at, certified_by_id, learner_count, counts, revoked_reason)
SELECT gen_random_uuid(), sr.id, sr.school_id, sr.round_id, 'certified', %s, sr.certified_at,
    sr.certified_by_id, 0, '{}'::jsonb, ''
FROM census_schoolround sr
WHERE sr.round_id = %s AND sr.state IN ('certified', 'acknowledged')
"""


def scale_round_open(*, seed: int, today: date | None = None, say=print) -> dict:
    """Put every synthetic school in round 1 of the current academic year, in a realistic mix of
    states, with a frozen roster snapshot for each certified school; return the round and counts.

    Idempotent: a round already in place is left as it is (`seed_scale --force` reloads the
    whole seed, its round included). Certified rosters are append-only in the database, so they are
    never deleted row by row; the reload's TRUNCATE empties them with everything else."""
    check_database()
    today = today or timezone.localdate()
    year_be = academic_year_of(today)
    if not AcademicYear.objects.filter(year=year_be).exists():
        academic_year_create(year_be=year_be, actor=None)
    round = Round.objects.get(academic_year__year=year_be, number=1, is_demo=False)
    if SchoolRound.objects.filter(round=round).exists():
        counts = dict(
            SchoolRound.objects.filter(round=round)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        say(f"  round {round} (pk {round.pk}) is already in place: nothing to do "
            "(--force reloads everything).")  # fmt: skip
        frozen = SnapshotRow.objects.filter(snapshot__round=round).count()
        return {"round": round, "states": counts, "frozen": frozen}
    rng = random.Random(f"round-{seed}")
    users = dict(
        User.objects.filter(username__startswith=USER_PREFIX).values_list("username", "id")
    )
    states = [s for s, _w in ROUND_MIX]
    weights = [w for _s, w in ROUND_MIX]
    day = round.confirm_opens
    counts: dict[str, int] = {}
    rows = []
    started = time.perf_counter()
    for school_id, code in (
        School.objects.open().filter(synthetic_school_q()).order_by("pk").values_list("pk", "code")
    ):
        state = rng.choices(states, weights)[0]
        counts[state] = counts.get(state, 0) + 1
        reached = states.index(state) if state != "not_started" else len(states)
        # certified/acknowledged ⇒ also confirmed and prepared (ROUND_MIX runs backwards).
        prepared = day if reached <= 3 else None
        confirmed = day + timedelta(hours=1) if reached <= 2 else None
        certified = day + timedelta(hours=3) if reached <= 1 else None
        acknowledged = day + timedelta(hours=5) if reached == 1 else None
        rows.append((round.pk, school_id, state, prepared, confirmed,
                     users[f"{USER_PREFIX}staff.{code}"] if confirmed else None, certified,
                     users[f"{USER_PREFIX}director.{code}"] if certified else None, acknowledged,
                     "", "", day))  # fmt: skip
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no queue of millions of key checks
        insert_rows(
            SchoolRound,
            ["round", "school", "state", "prepared_at", "confirmed_at", "confirmed_by",
             "certified_at", "certified_by", "acknowledged_at", "last_rejection",
             "revoked_reason", "updated_at"],
            rows,
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(_SNAPSHOTS_SQL, [round.as_of, round.pk])
        # The certification's own freeze, for every certified school at once: the rows, the
        # counts per grade and per nutrition band (the measurements' status as it stands: run
        # nutrition_backfill before --round to have one), each snapshot's counts.
        snapshots_freeze(snapshots=RosterSnapshot.objects.filter(round=round), as_of=round.as_of)
        Round.objects.filter(pk=round.pk).update(opened_at=day - timedelta(days=14))
    frozen = SnapshotRow.objects.filter(snapshot__round=round).count()
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{statement} census_schoolround, census_rostersnapshot, census_snapshotrow,"
            " census_snapshotgradecount, census_snapshotnutritioncount"
        )
    seconds = time.perf_counter() - started
    say(f"  round {round} (pk {round.pk}): " + ", ".join(f"{s} {counts.get(s, 0):,}" for s in states)
        + f"; {frozen:,} learners frozen in {seconds:.1f} s")  # fmt: skip
    return {"round": round, "states": counts, "frozen": frozen}
