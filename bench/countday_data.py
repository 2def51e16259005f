"""The count-day benchmark's side in Django (bench_countday.py drives the load over HTTP): the data
it sets up before the window, the OpenID provider's accounts, and what it checks afterwards.

Imported by bench_countday's main() once Django is set up with the settings its options chose.
"""

import os
import time
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from census import services as census
from census.models import AcademicYear, RosterSnapshot, Round, SchoolRound, SnapshotRow
from demo.scale import SCALE_PASSWORD, USER_PREFIX, synthetic_school_q
from documents import signing
from documents.models import Kind, SignedDocument
from schools.calendar import academic_year_of, academic_year_start
from schools.identifiers import citizen_id_check_digit
from schools.models import Enrollment, EnrollmentStatus, Measurement, QueryExplanation, School
from schools.validation import school_findings
from tests.oidc_provider.server import start_provider
from workflows.models import CertificationProcess
from workflows.services import round_open

# --- before the run ------------------------------------------------------------------------------


def setup_data(args, work: Path) -> dict:
    """Migrate, seed_scale, make every school ready to confirm, open a round open now."""
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    signing.development_keys_create(directory=work / "keys")
    call_command(
        "seed_scale", areas=args.areas, schools=args.schools, learners=args.learners,
        seed=args.seed, verbosity=0, stdout=open(os.devnull, "w"),  # noqa: SIM115
    )  # fmt: skip
    seeded = time.perf_counter() - started

    # The seed leaves some learners unmeasured and some values to query, as real schools have
    # before the count day; here every school has fixed and explained them beforehand.
    today = timezone.localdate()
    unmeasured = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).exclude(
        student__measurements__measured_on__gte=academic_year_start(academic_year_of(today))
    )
    Measurement.objects.bulk_create(
        Measurement(student_id=sid, measured_on=today - timedelta(days=7), weight_kg=35,
                    height_cm=140, source=Measurement.Source.SEED)
        for sid in unmeasured.values_list("student_id", flat=True)
    )  # fmt: skip
    users = {u.username: u for u in User.objects.filter(username__startswith=USER_PREFIX)}
    ready, blocked, explanations = [], [], []
    for school in School.objects.filter(synthetic_school_q()).order_by("pk"):
        staff = users[f"{USER_PREFIX}staff.{school.code}"]
        findings = school_findings(school=school)
        explanations += [
            QueryExplanation(school=school, rule=query.rule, subject_key=query.subject_key,
                             text="ตรวจสอบแล้ว ข้อมูลถูกต้อง", explained_by=staff)
            for query in findings.unexplained_queries
        ]  # fmt: skip
        (blocked if findings.errors else ready).append(school)
    QueryExplanation.objects.bulk_create(explanations)

    now = timezone.now()
    year, _created = AcademicYear.objects.get_or_create(year=academic_year_of(today))
    round = Round.objects.create(
        academic_year=year, number=1, is_demo=True, as_of=today,
        confirm_opens=now - timedelta(hours=1), confirm_closes=now + timedelta(hours=6),
        certify_opens=now - timedelta(hours=1), certify_closes=now + timedelta(hours=6),
        id_correction_cutoff=now + timedelta(hours=6),
    )  # fmt: skip
    for school in ready:
        school_round, _created = census.school_round_open(round=round, school=school)
        census.school_round_prepare(
            school_round=school_round, actor=users[f"{USER_PREFIX}staff.{school.code}"]
        )
    opened = time.perf_counter()
    round_open(round=round, schools=School.objects.filter(pk__in=[s.pk for s in ready]))
    opening = time.perf_counter() - opened
    assert SchoolRound.objects.filter(round=round, state="prepared").count() == len(ready)
    assert CertificationProcess.objects.filter(round=round).count() == len(ready)
    citizen_ids = link_citizen_ids(users) if args.sign_in == "oidc" else {}
    return {
        "citizen_ids": citizen_ids,
        "round": round,
        "codes": [s.code for s in ready],
        "blocked": len(blocked),
        "password": SCALE_PASSWORD,
        "prefix": USER_PREFIX,
        "seed_seconds": seeded,
        "open_seconds": opening,
        "setup_seconds": time.perf_counter() - started,
        "learners": Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).count(),
    }


def link_citizen_ids(users: dict) -> dict[str, str]:
    """Give each bench user a citizen ID of its own (the link a ThaiD sign-in follows, as an
    invitation sets it); return username → citizen ID."""
    linked = {}
    for n, user in enumerate(sorted(users.values(), key=lambda u: u.pk), start=1):
        twelve = f"8{n:011d}"
        user.citizen_id = twelve + str(citizen_id_check_digit(twelve))
        linked[user.username] = user.citizen_id
    User.objects.bulk_update(users.values(), ["citizen_id"], batch_size=1000)
    return linked


def provider_start(args, data, work: Path):
    """Start the OpenID provider with an account for each bench user (the bench's password, the
    citizen ID as ThaiD's `pid` claim); return it and OpenDMC's environment for it."""
    accounts = {
        username: {"password": data["password"], "claims": {"pid": pid, "amr": ["pwd"]}}
        for username, pid in data["citizen_ids"].items()
    }
    base = f"http://127.0.0.1:{args.port}"
    provider = start_provider(
        work / "oidc-provider",
        redirect_uris=[f"{base}/accounts/oidc/callback/"],
        post_logout_redirect_uris=[f"{base}/accounts/login/"],
        accounts=accounts,
    )
    env = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": provider.client_id,
        "OIDC_CLIENT_SECRET": provider.client_secret,
    }
    return provider, env


# --- after the run -------------------------------------------------------------------------------


def annexes_drain(seconds: float) -> tuple[int, int, float, float | None]:
    """Wait up to ``seconds`` for every queued annex to be rendered (or to fail); return (ready,
    not ready, seconds waited, seconds until the first was ready)."""
    annexes = SignedDocument.objects.filter(kind=Kind.ROSTER_ANNEX)
    open_ = annexes.filter(status=SignedDocument.Status.PENDING)
    ready = annexes.filter(status=SignedDocument.Status.READY)
    start = time.perf_counter()
    first = None
    while time.perf_counter() - start < seconds:
        if first is None and ready.exists():
            first = time.perf_counter() - start
        if not open_.exists():
            break
        time.sleep(0.5)
    done = ready.count()
    return done, annexes.count() - done, time.perf_counter() - start, first


def check(round, certified_codes: set[str]) -> list[str]:
    """Return what is wrong: each certified school has exactly one snapshot equal to its roster,
    one confirmation record, one certification record and one annex; nothing else was made."""
    problems = []
    states = dict(SchoolRound.objects.filter(round=round).values_list("school__code", "state"))
    certified = {code for code, state in states.items() if state == SchoolRound.State.CERTIFIED}
    if certified != certified_codes:
        problems.append(
            f"certified in the database {len(certified)} ≠ certified by the driver {len(certified_codes)}"
        )
    snapshots = RosterSnapshot.objects.filter(round=round)
    per_school = dict(snapshots.values_list("school__code").annotate(n=Count("id")))
    if any(n != 1 for n in per_school.values()) or set(per_school) != certified:
        problems.append("not exactly one snapshot per certified school")
    roster = dict(
        Enrollment.objects.filter(school__code__in=certified, status=EnrollmentStatus.ACTIVE)
        .values_list("school__code").annotate(n=Count("id"))
    )  # fmt: skip
    rows = dict(
        SnapshotRow.objects.filter(snapshot__round=round)
        .values_list("snapshot__school__code").annotate(n=Count("id"))
    )  # fmt: skip
    for snap in snapshots.select_related("school"):
        code = snap.school.code
        if not snap.learner_count == rows.get(code, 0) == roster.get(code, 0):
            problems.append(
                f"{code}: snapshot {snap.learner_count}, rows {rows.get(code, 0)}, roster {roster.get(code, 0)}"
            )
        if sum(c["M"] + c["F"] for c in snap.counts.values()) != snap.learner_count:
            problems.append(f"{code}: the snapshot's counts do not add up")
    duplicate_rows = (
        SnapshotRow.objects.filter(snapshot__round=round)
        .values("snapshot", "student").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # fmt: skip
    if duplicate_rows:
        problems.append(f"{duplicate_rows} learners twice in one snapshot")
    for kind in (Kind.CONFIRMATION, Kind.CERTIFICATION, Kind.ROSTER_ANNEX):
        docs = dict(
            SignedDocument.objects.filter(kind=kind).values_list("school__code").annotate(n=Count("id"))
        )  # fmt: skip
        confirmed = {code for code, state in states.items() if state != SchoolRound.State.PREPARED}
        expected = confirmed if kind == Kind.CONFIRMATION else certified
        if set(docs) != expected or any(n != 1 for n in docs.values()):
            problems.append(f"{kind}: not exactly one record per school")
    unsigned = SignedDocument.objects.filter(
        kind__in=(Kind.CONFIRMATION, Kind.CERTIFICATION)
    ).exclude(status=SignedDocument.Status.READY, sha256__regex=r"^[0-9a-f]{64}$")
    if unsigned.exists():
        problems.append(f"{unsigned.count()} short records not signed")
    if SignedDocument.objects.filter(status=SignedDocument.Status.FAILED).exists():
        problems.append("an annex failed")
    return problems


def password_check_ms(password: str, prefix: str) -> float:
    user = User.objects.get(username=f"{prefix}admin")
    start = time.perf_counter()
    assert user.check_password(password)
    return (time.perf_counter() - start) * 1000


def certified_codes(round) -> set[str]:
    """Return the codes of the schools certified in the round."""
    return set(
        SchoolRound.objects.filter(round=round, state=SchoolRound.State.CERTIFIED)
        .values_list("school__code", flat=True)
    )  # fmt: skip


def annexes() -> tuple[int, int]:
    """Return the roster annexes ready and in all."""
    annexes = SignedDocument.objects.filter(kind=Kind.ROSTER_ANNEX)
    return annexes.filter(status=SignedDocument.Status.READY).count(), annexes.count()


def records_signed() -> int:
    """Return the confirmation and certification records signed."""
    return SignedDocument.objects.filter(
        kind__in=(Kind.CONFIRMATION, Kind.CERTIFICATION), status=SignedDocument.Status.READY
    ).count()
