"""Walk every URL pattern of the project as each persona, aimed at the objects of a school and an
area office the persona does not belong to: nothing of theirs is shown, changed or downloaded.

The URL list is read from the resolver, so a page added later is swept automatically; its
path parameters are filled from the database (codes, uuids, process and task ids).
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from viewflow.workflow.models import Process, Task

from accounts.models import User
from accounts.permissions import areas_overseen_by, schools_visible_to
from schools.models import AreaOffice, AuditEntry, Enrollment, Measurement, School, Student

PERSONAS = ("staff.maerim", "director.maerim", "area.cm1", "staff.doikham", "approver")
# Public by design: the verify page shows a record's kind, school, date and signer, never a learner.
PUBLIC = {"verify/<uuid:public_id>/"}
# The flow's own diagram (no process, no data) is the same for everyone.
DIAGRAMS = re.compile(r"^\w+/chart/$")
# healthz/ says only "ok"/"error" for the database and broker (tests/deploy/test_health.py).
# The API (and its OneRoster service) answers JSON to keys, not pages to sessions:
# test_api_access_sweep.py sweeps it.
SKIP = re.compile(r"^(admin/|accounts/|i18n/|static/|media/|healthz/|api/v1/|ims/oneroster/)")
WATCHED = (Student, Enrollment, Measurement, AuditEntry, Process, Task)


def patterns(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        from django.core.management import call_command as cc

        cc("flush", interactive=False, verbosity=0)


def foreign_values(user):
    """Return, per path parameter, values that point at schools and areas the user may not see."""
    visible = set(schools_visible_to(user).values_list("pk", flat=True))
    foreign = School.objects.exclude(pk__in=visible)
    areas = AreaOffice.objects.exclude(pk__in=areas_overseen_by(user).values("pk"))
    students = Student.objects.filter(enrollments__school__in=foreign).exclude(
        enrollments__school__pk__in=visible
    )
    processes = Process.objects.filter(
        Q(certificationprocess__school__in=foreign)
        | Q(dropoutprocess__school__in=foreign)
        | Q(gcodeprocess__school__in=foreign)
        | Q(transferprocess__school__in=foreign, transferprocess__releasing_school__in=foreign)
        | Q(idcorrectionprocess__school__in=foreign)
    ).exclude(idcorrectionprocess__links__approver=user)  # an approver's own requests are theirs
    from documents.models import SignedDocument
    from schools.models import MeasurementUpload, RosterImport, StudentDocument

    uuids = (
        [str(s.public_id) for s in students[:3]]
        + [str(d.public_id) for d in SignedDocument.objects.filter(school__in=foreign)[:3]]
        + [str(d.public_id) for d in StudentDocument.objects.filter(school__in=foreign)[:3]]
        + [str(u.public_id) for u in MeasurementUpload.objects.filter(school__in=foreign)[:2]]
        + [str(u.public_id) for u in RosterImport.objects.filter(school__in=foreign)[:2]]
    )
    # The other party of the user's own transfers is named to them on purpose (who asks, who holds).
    from workflows.models import TransferProcess

    counterparts = set()
    for t in TransferProcess.objects.filter(
        Q(school__pk__in=visible) | Q(releasing_school__pk__in=visible)
    ):
        counterparts |= {t.school_id, t.releasing_school_id}
    return {
        "code": [s.code for s in foreign[:2]] + [a.code for a in areas[:1]],
        "public_id": uuids,
        "tasks": list(Task.objects.filter(process__in=processes).select_related("process")),
        "processes": list(processes.values_list("pk", flat=True)),
        "foreign_names": [s.name_th for s in foreign if s.pk not in counterparts]
        + [f"{s.first_name_th} {s.last_name_th}" for s in students[:50]],
    }


def fill(pattern, values):
    """Yield concrete paths for a pattern, one per foreign object that fits its parameters."""
    names = re.findall(r"<(?:\w+:)?(\w+)>", pattern)
    if not names:
        yield "/" + pattern
        return
    if "task_pk" in names:
        node = pattern.split("/")[2] if pattern.count("/") >= 3 else ""
        for task in values["tasks"]:
            if task.flow_task.name == node and pattern.startswith(
                task.process.flow_class.instance.flow_label
            ):
                yield "/" + re.sub(
                    r"<int:process_pk>",
                    str(task.process_id),
                    re.sub(r"<int:task_pk>", str(task.pk), pattern),
                )
                break
        return
    candidates = {
        "code": values["code"],
        "public_id": values["public_id"],
        "process_pk": values["processes"][:2],
        "pk": values["processes"][:2],
        "kind": ["dropout", "id-correction", "transfer", "gcode"],
        "token": ["forged-token"],
        "year": [2569],
        "term": [1],
    }
    paths = [pattern]
    for name in names:
        options = candidates.get(name)
        if not options:
            return
        paths = [re.sub(rf"<(?:\w+:)?{name}>", str(v), p, count=1) for p in paths for v in options]
    for p in paths[:6]:
        yield "/" + p


def leaks(body: str, names) -> list[str]:
    return [n for n in names if n and n in body]


@pytest.mark.django_db
def test_no_persona_reaches_another_schools_or_areas_objects(world):
    before = {m.__name__: m.objects.count() for m in WATCHED}
    all_patterns = [p for p in patterns() if not SKIP.match(p) and not DIAGRAMS.match(p)]
    assert len(all_patterns) > 200
    swept = 0
    problems = []
    for username in PERSONAS:
        user = User.objects.get(username=username)
        values = foreign_values(user)
        client = Client()
        client.force_login(user)
        for pattern in all_patterns:
            for path in fill(pattern, values):
                for method in ("get", "post"):
                    response = getattr(client, method)(path)
                    swept += 1
                    status = response.status_code
                    if status in (403, 404, 405) or (
                        status == 302 and "/login" in response.get("Location", "")
                    ):
                        continue
                    content_type = response.get("Content-Type", "")
                    if status == 200 and content_type.startswith("text/html"):
                        body = response.content.decode()
                        names = (
                            values["foreign_names"][len(School.objects.all()) :]
                            if pattern in PUBLIC
                            else values["foreign_names"]
                        )
                        found = leaks(body, names)
                        if found:
                            problems.append(
                                f"{username} {method.upper()} {path}: shows {found[:3]}"
                            )
                    elif status == 200:
                        problems.append(
                            f"{username} {method.upper()} {path}: served {content_type}"
                        )
                    elif status == 302:
                        continue  # a redirect to a page of their own (e.g. a form's success): data checked below
                    elif status >= 500:
                        problems.append(
                            f"{username} {method.upper()} {path}: server error {status}"
                        )
    after = {m.__name__: m.objects.count() for m in WATCHED}
    print(
        f"swept {swept} requests over {len(all_patterns)} URL patterns × {len(PERSONAS)} personas"
    )
    assert not problems, "\n".join(problems[:40])
    assert after == before
