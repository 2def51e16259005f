"""Load the demo: two area offices, schools of different sizes, their learners and one user per role.

Idempotent: every row is keyed on a natural key (codes, usernames, citizen IDs), so a second run
finds everything in place and changes nothing.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.invitations import invitation_create
from accounts.models import Invitation, Membership, Role, User
from accounts.permissions import must_use_second_factor
from accounts.services import membership_create
from demo import names as demo_names
from demo import roster_file
from demo.flows import certification_demo, dashboard_demo, requests_demo
from demo.register_file import DEMO_AREA, MERGING_SCHOOL, demo_sample_rows, to_csv
from demo.second_factor import demo_authenticator, demo_totp_secret
from demo.subsidy import subsidy_demo
from demo.survey import buildings_demo
from schools.identifiers import citizen_id_check_digit
from schools.models import (
    AreaOffice,
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    Measurement,
    School,
    Sex,
    Student,
    Title,
)
from schools.services import (
    MeasurementEntry,
    gcode_register,
    measurements_record,
    student_add,
)

DEMO_PASSWORD = "opendmc-demo"  # noqa: S105 - printed on purpose: the demo's logins


@dataclass(frozen=True)
class DemoSchool:
    code: str
    name_th: str
    name_en: str
    area: str
    province: str
    slug: str
    grades: tuple[str, ...]
    per_grade: int
    rooms: int = 1
    gcode_share: float = 0.0
    fix_me: bool = False


# The ministry's 8-digit area office codes (schools.register); the demo used "5001" and "5051"
# before, and renames those rows on its next run.
LEGACY_AREA_CODES = {"50010000": "5001", "50510000": "5051"}
AREAS = (
    ("50010000", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาเชียงใหม่ เขต 1",
     "Chiang Mai Primary Educational Service Area Office 1", AreaOffice.Kind.PRIMARY, "เชียงใหม่", "cm1"),
    ("50510000", "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาเชียงใหม่",
     "Chiang Mai Secondary Educational Service Area Office", AreaOffice.Kind.SECONDARY, "เชียงใหม่", "cmsec"),
)  # fmt: skip
AREA_SHORT_NAMES = {"cm1": "สพป.เชียงใหม่ 1", "cmsec": "สพม.เชียงใหม่"}  # the officers' last names

PRIMARY = (Grade.K1, Grade.K2, Grade.K3, Grade.P1, Grade.P2, Grade.P3, Grade.P4, Grade.P5, Grade.P6)
SECONDARY = (Grade.M1, Grade.M2, Grade.M3, Grade.M4, Grade.M5, Grade.M6)

SCHOOLS = (
    DemoSchool("1050130001", "โรงเรียนบ้านแม่ริม", "Ban Mae Rim School", "50010000", "เชียงใหม่",
               "maerim", PRIMARY, per_grade=14),
    DemoSchool("1050130002", "โรงเรียนวัดป่าแดด", "Wat Pa Daet School", "50010000", "เชียงใหม่",
               "padaet", PRIMARY, per_grade=6, fix_me=True),
    DemoSchool("1050130003", "โรงเรียนบ้านดอยปุย", "Ban Doi Pui School", "50010000", "เชียงใหม่",
               "doipui", PRIMARY, per_grade=5, gcode_share=0.3),
    # Small schools that show every state on the dashboards (demo.flows.dashboard_demo).
    DemoSchool("1050130004", "โรงเรียนบ้านห้วยตึงเฒ่า", "Ban Huai Tueng Thao School", "50010000",
               "เชียงใหม่", "huaitueng", PRIMARY, per_grade=3),
    DemoSchool("1050130005", "โรงเรียนบ้านโป่งแยง", "Ban Pong Yaeng School", "50010000", "เชียงใหม่",
               "pongyaeng", PRIMARY, per_grade=4),
    DemoSchool("1050130006", "โรงเรียนบ้านสันป่ายาง", "Ban San Pa Yang School", "50010000", "เชียงใหม่",
               "sanpayang", PRIMARY, per_grade=2),
    DemoSchool("1050130007", "โรงเรียนบ้านแม่แรม", "Ban Mae Raem School", "50010000", "เชียงใหม่",
               "maeraem", PRIMARY, per_grade=7),
    DemoSchool("1050130008", "โรงเรียนบ้านริมใต้", "Ban Rim Tai School", "50010000", "เชียงใหม่",
               "rimtai", PRIMARY, per_grade=8),
    DemoSchool("1050510001", "โรงเรียนดอยคำวิทยา", "Doi Kham Wittaya School", "50510000", "เชียงใหม่",
               "doikham", SECONDARY, per_grade=36, rooms=2),
)  # fmt: skip

GRADE_ORDER = list(Grade.values)


def typical_weight_height(age: int, noise: float) -> tuple[float, float]:
    """Return a plausible weight (kg) and height (cm) for a Thai learner of an age."""
    height = 102 + 6.3 * (age - 4) if age <= 13 else 158.7 + 2.5 * (age - 13)
    weight = 16 + 2.6 * (age - 4) if age <= 10 else 31.6 + 4.5 * (age - 10)
    return weight * (1 + 2 * noise), height * (1 + noise / 2)


def body_build(key: str) -> float:
    """Return a learner's weight for their build, as a factor of the typical weight (a thin child
    about 0.8, a heavy one 1.4): drawn from a generator of its own, seeded by the learner, so that
    the demo's other draws stay as they were. Thai schoolchildren lean heavy (DOH: about one in
    eight overweight or obese, one in twenty thin), so the draw is centred a little above 0."""
    z = random.Random(f"build-{key}").gauss(0.25, 1.1)
    return math.exp(0.11 * z)


# Before this year's measurement (20 May, for the 10 June round), a school measured its learners
# once a term in each past academic year: in term 1 for the 10 June round and in term 2 for the
# 10 November round (the 30 April round counts on term 2's figures); as far back as the learner was
# at the school, at most PAST_YEARS years, so that the learner page draws a growth line.
PAST_YEARS = 3
PAST_MEASURED = ((5, 20), (11, 3))


def past_measurements(
    *, key: str, age: int, noise: float, build: float, year: int, years: int
) -> list[tuple[date, float, float]]:
    """Return a learner's (day, weight, height) in the past rounds, oldest first: the learner's
    own curve (the typical figures at their age then, with their noise and build), and a scale's
    and a tape's wobble drawn from a generator of its own, so that the demo's other draws stay."""
    wobble = random.Random(f"growth-{key}")
    this_year = date(year, 5, 20)
    past = []
    for back in range(min(years, PAST_YEARS), 0, -1):
        for month, day in PAST_MEASURED:
            on = date(year - back, month, day)
            weight, height = typical_weight_height(age - (this_year - on).days / 365.25, noise)
            past.append(
                (on, weight * build + wobble.uniform(-0.3, 0.3), height + wobble.uniform(-0.2, 0.2))
            )
    return past


def academic_year_start(today: date) -> int:
    """Return the Christian-era year in which the current academic year began (in May)."""
    return today.year if today.month >= 5 else today.year - 1


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        today = timezone.localdate()
        with transaction.atomic():
            areas = {code: self._area(*row) for code, *row in AREAS}
            users = []
            users.append(self._user("admin", "ผู้ดูแล", "สพฐ.", Role.MINISTRY_ADMIN))
            users.append(self._user("approver", "สมศรี", "อนุมัติเลข", Role.ID_APPROVER))
            for code, *_rest, slug in AREAS:
                users.append(
                    self._user(f"area.{slug}", "เจ้าหน้าที่", AREA_SHORT_NAMES[slug], Role.AREA_OFFICER,
                               area_office=areas[code])
                )  # fmt: skip
            for spec in SCHOOLS:
                school = self._school(spec, areas[spec.area])
                users.append(
                    self._user(f"staff.{spec.slug}", "ครูธุรการ", spec.name_th.removeprefix("โรงเรียน"),
                               Role.STAFF, school=school)
                )  # fmt: skip
                users.append(
                    self._user(f"director.{spec.slug}", "ผู้อำนวยการ", spec.name_th.removeprefix("โรงเรียน"),
                               Role.DIRECTOR, school=school)
                )  # fmt: skip
                self._learners(spec, school, today)
        done = certification_demo(today=today)
        dashboard_demo(today=today)
        requests_demo(today=today)
        bobec = buildings_demo(today=today)
        subsidy = subsidy_demo(today=today)
        invited = self._invitation()
        school_list = self._school_list_sample(today)
        roster, area_roster = self._roster_samples(today)
        self._print_logins(users)
        self.stdout.write(
            f"B-OBEC survey {bobec['survey_year']}: {bobec['certified']} schools certified, "
            f"{bobec['missed']} missed (not listed for fiscal year {bobec['survey_year'].fiscal_year})."
        )
        self.stdout.write(
            f"Past round: {done['certified']} schools certified, {done['missed']} missed. "
            f"Open all day today: {done['demo_round']}. Confirm and certify now."
        )
        self.stdout.write(
            "Dashboards (area.cm1, admin): in today's demo round the small schools of area 1 are "
            "prepared, confirmed, certified and acknowledged; in the past round one school missed "
            "and one was revoked."
        )
        self.stdout.write(
            f"Subsidy: rates loaded ({subsidy['loaded']['created']} new), term {subsidy['term']} "
            f"funded by {subsidy['round']}, {subsidy['carried']} demo rates carried forward."
        )
        self.stdout.write(
            "Requests waiting: a dropout and a G-code (area.cm1), a transfer to release "
            "(staff.maerim), a citizen-ID correction (approver: the link is in var/mail/)."
        )
        self.stdout.write(
            f"Invitation waiting (area.cm1 invited {invited} as staff of Ban Mae Rim): "
            "the link to set a password is in var/mail/."
        )
        if getattr(self, "sample_path", None):
            self.stdout.write(f"Sample weight/height file to upload: {self.sample_path}")
        self.stdout.write(
            f"Sample school list for the ministry (admin → School list): {school_list}"
        )
        self.stdout.write(
            f"Sample roster file (staff.doikham → Load the roster from a file): {roster}"
        )
        self.stdout.write(
            f"Sample roster file of an area office's schools (area.cmsec): {area_roster}"
        )

    def _invitation(self) -> str:
        """Leave one invitation waiting, e-mailed (its link is in var/mail/ in the embedded default)."""
        email = "new.staff.maerim@demo.opendmc.invalid"
        if not Invitation.objects.pending().filter(email=email).exists():
            invitation_create(
                actor=User.objects.get(username="area.cm1"), email=email, title="นางสาว",
                first_name="สมใจ", last_name="ใฝ่รู้", role=Role.STAFF,
                school=School.objects.get(code="1050130001"),
            )  # fmt: skip
        return email

    def _area(self, name_th, name_en, kind, province, slug):
        code = [c for c, *r in AREAS if r[0] == name_th][0]
        AreaOffice.objects.filter(code=LEGACY_AREA_CODES[code], name_th=name_th).update(code=code)
        area, _ = AreaOffice.objects.get_or_create(
            code=code,
            defaults={"name_th": name_th, "name_en": name_en, "kind": kind, "province": province},
        )
        return area

    def _school(self, spec: DemoSchool, area: AreaOffice) -> School:
        school, _ = School.objects.update_or_create(
            code=spec.code,
            defaults={"lowest_grade": spec.grades[0], "highest_grade": spec.grades[-1]},
            create_defaults={
                "name_th": spec.name_th,
                "name_en": spec.name_en,
                "area_office": area,
                "province": spec.province,
                "lowest_grade": spec.grades[0],
                "highest_grade": spec.grades[-1],
            },
        )
        return school

    def _user(self, username, first_name, last_name, role, school=None, area_office=None):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name,
                      "email": f"{username}@demo.opendmc.invalid"},
        )  # fmt: skip
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if not Membership.objects.filter(
            user=user, role=role, school=school, area_office=area_office
        ).exists():
            membership_create(
                user=user, role=role, school=school, area_office=area_office,
                starts_on=date(2020, 5, 16),
            )  # fmt: skip
        demo_authenticator(user)
        return (user, role, school or area_office)

    def _learners(self, spec: DemoSchool, school: School, today: date) -> None:
        rng = random.Random(spec.code)  # the same learners on every run
        year = academic_year_start(today)
        measured_on = date(year, 5, 20)
        seq = 0
        existing_ids = set(
            Student.objects.filter(enrollments__school=school).values_list("citizen_id", "gcode")
        )
        known = {cid for cid, _ in existing_ids} | {g for _, g in existing_ids}
        entries: list[MeasurementEntry] = []
        for grade in spec.grades:
            grade_index = GRADE_ORDER.index(grade)
            years_here = spec.grades.index(grade)  # years at the school before this one
            for room in range(1, spec.rooms + 1):
                for _ in range(spec.per_grade // spec.rooms):
                    seq += 1
                    sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
                    use_gcode = rng.random() < spec.gcode_share
                    non_thai = not use_gcode and rng.random() < 0.03
                    # Age on 16 May: 4 in อ.1, 7 in ป.1, 13 in ม.1 (everyone old enough to be funded).
                    age = 4 + grade_index
                    birth = date(year - age - 1, 5, 17) + timedelta(days=rng.randrange(0, 364))
                    twelve = f"{'0' if non_thai else '1'}{spec.code[-6:]}{seq:05d}"
                    citizen_id = "" if use_gcode else twelve + str(citizen_id_check_digit(twelve))
                    gcode = f"G{spec.code[-6:]}{seq:06d}" if use_gcode else ""
                    key = citizen_id or gcode
                    adult = age >= 15
                    given = rng.choice(demo_names.BOYS if sex == Sex.MALE else demo_names.GIRLS)
                    family = rng.choice(demo_names.FAMILY)
                    english = rng.random() < 0.4
                    roman_given = rng.choice(
                        demo_names.ROMAN_BOYS if sex == Sex.MALE else demo_names.ROMAN_GIRLS
                    )
                    roman_family = rng.choice(demo_names.ROMAN_FAMILY)
                    # The draws above stay (the demo's other data follow them); the English name
                    # is the Thai name's own romanisation, where the demo knows one.
                    roman_given = demo_names.ROMAN_OF.get(given, "")
                    roman_family = demo_names.ROMAN_OF.get(family, "")
                    english = english and bool(roman_given and roman_family)
                    noise = rng.uniform(-0.06, 0.06)
                    weight, height = typical_weight_height(age, noise)
                    build = body_build(key)
                    weight *= build
                    measured = True
                    # Measured in the past rounds too, unless the demo changes the figures below.
                    history = True
                    if spec.fix_me:
                        # A school with findings to fix on the data-checks page.
                        history = not (seq in (2, 5, 8, 11, 20) or grade == Grade.P4)
                        if seq in (2, 11, 20):
                            measured = False  # errors: no weight or height yet
                        elif grade == Grade.P4:
                            weight, height = 30.0, 135.0  # query: a whole room typed alike
                        elif seq == 5:
                            weight = 68.0  # query: heavy for the age
                        elif seq == 8:
                            birth = date(year - 12, 1, 10)  # query: 12 years old in ป.2
                    # Every random draw happens before this point, so a rerun meets the same learners.
                    if key in known:
                        continue
                    title = (
                        (Title.MR if sex == Sex.MALE else Title.MISS)
                        if adult
                        else (Title.BOY if sex == Sex.MALE else Title.GIRL)
                    )
                    if gcode:  # the demo's G-code learners held their codes before OpenDMC
                        gcode_register(
                            gcode=gcode, school=school, actor=None,
                            source=IssuedGCode.Source.EARLIER, learner_name=f"{title}{given} {family}",
                        )  # fmt: skip
                    enrollment = student_add(
                        school=school,
                        actor=None,
                        citizen_id=citizen_id,
                        gcode=gcode,
                        title=title,
                        first_name_th=given,
                        last_name_th=family,
                        first_name_en=roman_given if english else "",
                        last_name_en=roman_family if english else "",
                        sex=sex,
                        birth_date=birth,
                        nationality="เมียนมา" if non_thai or use_gcode else "ไทย",
                        grade=grade,
                        room=room,
                        # At the school since its first grade there, on the first day of that
                        # academic year: the past measurements below fall inside the enrollment.
                        started_on=date(year - years_here, 5, 16),
                    )
                    past = (
                        past_measurements(
                            key=key, age=age, noise=noise, build=build, year=year,
                            years=years_here,
                        )
                        if measured and history
                        else []
                    )  # fmt: skip
                    if measured:
                        entries.extend(
                            MeasurementEntry(
                                student_id=enrollment.student_id,
                                measured_on=on,
                                weight_kg=Decimal(f"{w:.1f}"),
                                height_cm=Decimal(f"{h:.1f}"),
                            )
                            for on, w, h in [*past, (measured_on, weight, height)]
                        )
        # Through the measurement service, as a school's file: the status of each measurement,
        # past rounds' too, is computed there. A second run adds no learner, and measures nobody
        # (the school's data may be confirmed).
        if entries:
            measurements_record(
                school=school, actor=None, entries=entries, source=Measurement.Source.SEED
            )
        if spec.fix_me:
            self._sample_upload(school, today)

    def _sample_upload(self, school: School, today: date) -> None:
        """Write a weight and height file that fixes the demo school's missing measurements."""
        folder = Path(settings.DEMO_SAMPLES_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"weight-height-{school.code}.csv"
        rows = ["เลขประจำตัวประชาชน,ชื่อ-นามสกุล,น้ำหนัก (กก.),ส่วนสูง (ซม.),วันที่ชั่งวัด"]
        on = f"{today.day}/{today.month}/{today.year + 543}"
        missing = (
            Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
            .exclude(student__measurements__isnull=False)
            .select_related("student")
            .order_by("pk")
        )
        for e in missing:
            age = max(today.year - e.student.birth_date.year, 4)
            weight, height = typical_weight_height(age, 0.01)
            rows.append(
                f"{e.student.citizen_id or e.student.gcode},{e.student.full_name_th},"
                f"{weight:.1f},{height:.1f},{on}"
            )
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        self.sample_path = path

    def _school_list_sample(self, today: date) -> Path:
        """Add the small school that the sample merges (after the rounds opened: it has no
        learners and is in none of them), then write the second area office's school list."""
        code, name_th, name_en = MERGING_SCHOOL
        School.objects.get_or_create(
            code=code,
            defaults={"name_th": name_th, "name_en": name_en, "province": "เชียงใหม่",
                      "area_office": AreaOffice.objects.get(code=DEMO_AREA),
                      "lowest_grade": Grade.M1, "highest_grade": Grade.M3},
        )  # fmt: skip
        folder = Path(settings.DEMO_SAMPLES_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"school-list-{DEMO_AREA}.csv"
        path.write_bytes(to_csv(demo_sample_rows(today=today), encoding="utf-8-sig"))
        return path

    def _roster_samples(self, today: date) -> tuple[Path, Path]:
        """Write Doi Kham Wittaya's roster file (every kind of row) and its area office's."""
        year = academic_year_start(today)
        folder = Path(settings.DEMO_SAMPLES_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        paths = (
            folder / f"roster-{roster_file.SCHOOL}.csv",
            folder / f"area-roster-{roster_file.AREA}.csv",
        )
        with transaction.atomic():
            samples = (
                roster_file.roster_sample_rows(year=year),
                roster_file.area_sample_rows(year=year),
            )
        for path, rows in zip(paths, samples, strict=True):
            path.write_bytes(roster_file.to_csv([row for _kind, row in rows]))
        return paths

    def _print_logins(self, users) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"OpenDMC demo logins (password for all: {DEMO_PASSWORD})")
        )
        for user, role, scope in users:
            label = Role(role).label
            factor = " (+ second factor)" if must_use_second_factor(user) else ""
            self.stdout.write(f"  {user.username:<20} {label} · {scope or 'ทั่วประเทศ'}{factor}")
        self.stdout.write(
            "Second factor of the logins marked (+ second factor): add this key to an "
            f"authenticator app: {demo_totp_secret()} (or run: manage.py demo_totp_code)"
        )
        self.stdout.write(
            f"Learners: {Student.objects.count()} · Schools: {School.objects.count()}"
            f" · Area offices: {AreaOffice.objects.count()}"
        )
