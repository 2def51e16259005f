"""Every page of the project that a persona may open, found from the URL resolver and filled with
the persona's own objects (its school, learners, processes and tasks, documents …).

A pattern's path parameters are filled from "contexts": sets of values that belong together (a
school's code with one of its learners' uuid; a flow's process with one of its tasks). Each context
that fits a pattern is tried with Django's test client until one gives the persona a page (200,
text/html); that path is then read in the browser. A pattern that no persona can open must be in
EXCLUDED with the reason, so that a page added later is either checked or explained.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from accounts.permissions import areas_overseen_by, memberships_managed_by, schools_visible_to
from buildings.models import Building, BuildingPhoto
from census.models import AcademicYear, Round, SchoolRound, SubsidyRate
from config.help import GUIDES
from config.urls import site
from documents.models import SignedDocument
from schools.models import MeasurementUpload, Student, StudentDocument
from tests.security.test_access_sweep import patterns
from workflows import selectors
from workflows.models import REQUEST_KINDS
from workflows.viewsets import ScopedFlowViewset

# (pattern regex, reason): the patterns that no persona's browser reads as a page in the sweep.
EXCLUDED: tuple[tuple[str, str], ...] = (
    (r"^admin/", "Django's admin: no demo persona is staff (the operators' tool, Django's markup)"),
    (r"^healthz/$", "plain text for load balancers and monitors, not a page"),
    (r"^accounts/logout/$|^i18n/setlang/$", "POST only: the log-out and language buttons"),
    (
        r"\.(xlsx|csv|ics|png)$|/chart/$",
        "a file, not a page (a spreadsheet, a calendar feed, a picture, a flow's SVG diagram)",
    ),
    (
        r"^documents/<uuid:public_id>/download/$|/evidence/<uuid:public_id>/$"
        r"|^buildings/<str:code>/photos/<uuid:public_id>/$",
        "a download (a signed PDF, an evidence file, a building's photo), not a page",
    ),
    (r"^workflows/waiting-count/$", "an htmx fragment in the menu of every page, checked there"),
    (
        r"^accounts/oidc/(login|callback)/$",
        "sign-in with ThaiD: a redirect to the provider and back, 404 without one configured; "
        "tests/e2e/test_thaid.py signs in through a real provider's pages",
    ),
    (
        r"^accounts/profile/sessions/end/$|^people/invitations/<uuid:public_id>/(resend|withdraw)/$"
        r"|^schools/register/<uuid:public_id>/apply/$|^accounts/profile/sessions/<uuid:public_id>/end/$"
        r"|^api-keys/<uuid:public_id>/revoke/$|^people/persons/<uuid:public_id>/second-factor/reset/$",
        "POST only: a button on a page that is checked (log out everywhere or one session, an "
        "invitation's, applying a school list, revoking an API key, resetting a second factor)",
    ),
    (
        r"^api/v1/(?!docs/$)|^ims/oneroster/",
        "the API (and OneRoster) answers JSON to a key, never pages to a signed-in person: "
        "tests/security/test_api_access_sweep.py and the schemathesis contract tests cover it",
    ),
    (
        r"^accounts/second-factor/$",
        "the code page after the password: every persona here is already through it (the sign-in "
        "fixture types the demo authenticator's code there), so it sends them on",
    ),
    (
        r"^accounts/password/reset/<uidb64>/<token>/$|^accounts/invitation/<str:token>/$",
        "a single-use link read from an e-mail (a password reset, an invitation): "
        "tests/e2e/test_people.py opens both from the e-mails in the browser",
    ),
    (
        r"^schools/register/<uuid:public_id>/$|^schools/(area/)?<str:code>/roster-files/<uuid:public_id>/$",
        "the demo holds no uploaded school list or roster file (its samples are files in "
        "var/samples/): the dry runs' pages are tested in tests/schools",
    ),
    (
        r"^workflows/tasks/<int:task_pk>/take/$|^census/calendar-link/$"
        r"|^census/reports/allocation/statement/$|/remind/$|^census/years/<int:pk>/rollover/$"
        r"|^buildings/areas/<str:code>/budget/sign/$|^buildings/<str:code>/<int:pk>/delete/$"
        r"|^workflows/rounds/<int:pk>/area-windows/$",
        "POST only: a button on a page that is checked (the round's page holds the stagger form)",
    ),
    (r"/queue/assign/$|/inbox/unassign/$", "viewflow's bulk action: a GET goes back to the list"),
    (
        r"/<int:task_pk>/$",
        "viewflow's address of a task: it redirects to the task's detail or execute page",
    ),
    (
        r"^schools/<str:code>/measurements/uploads/<uuid:public_id>/$",
        "the demo holds no upload: test_count_day uploads a file and photographs this page",
    ),
    (
        r"^certification/<int:process_pk>/confirm/<int:task_pk>/execute/$",
        "the sweep's staff has no round to confirm: the keyboard test confirms one and checks "
        "this page with axe",
    ),
    (
        r"^buildingsurvey/<int:process_pk>/(enter|certify)/<int:task_pk>/execute/$",
        "the B-OBEC steps open only inside the survey's window (1-30 October)",
    ),
    (
        r"^certification/<int:process_pk>/record_send_back/|^idcorrection/<int:process_pk>/"
        r"(end|end_expired|expire|record)/|^transfer/<int:process_pk>/(end|record)/",
        "no demo process has reached this step (a send-back, a decided ID correction or transfer)",
    ),
    (
        r"/<int:task_pk>/(undo|revive|cancel|assign|unassign)/$",
        "viewflow's own task actions: the demo holds no task in the state each one needs for a "
        "persona allowed to do it",
    ),
)


def excluded(pattern: str) -> str | None:
    """Return why a pattern is not read in the browser, or None."""
    return next((reason for regex, reason in EXCLUDED if re.search(regex, pattern)), None)


@dataclass(frozen=True)
class Context:
    """Values of path parameters that belong together; `prefix` limits them to one flow's paths."""

    values: dict
    prefix: str = ""

    def fits(self, pattern: str, names: set[str]) -> bool:
        return set(self.values) == names and pattern.startswith(self.prefix)

    def fill(self, pattern: str) -> str:
        path = pattern
        for name, value in self.values.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        return "/" + path


@dataclass
class Found:
    """What a persona may open: pattern → path; and, for the others, what the tries answered."""

    pages: dict[str, str] = field(default_factory=dict)
    refused: dict[str, list[str]] = field(default_factory=dict)


def parameter_names(pattern: str) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", pattern))


def project_patterns() -> list[str]:
    """Return every URL pattern of the project as text, as the resolver lists them."""
    return list(dict.fromkeys(patterns()))


def flows() -> list[tuple[str, type]]:
    """Return the site's flows as (their URLs' first segment, flow class)."""
    return [(v.app_name, v._flow_class) for v in site.viewsets if isinstance(v, ScopedFlowViewset)]


def contexts_of(user: User, *, tokens: list[str] = ()) -> list[Context]:
    """Return the persona's own objects as contexts, most telling first."""
    schools = list(schools_visible_to(user).order_by("code"))
    # The schools with most to show first: the persona's own (staff, director), else those with
    # requests and uploads in the demo.
    busy = {"1050130001", "1050130002", "1050130005"}
    schools.sort(key=lambda s: (s.code not in busy, s.code))
    schools = schools[:3]
    out = [Context({})]
    for school in schools:
        out.append(Context({"code": school.code}))
        for student in Student.objects.filter(enrollments__school=school).distinct()[:2]:
            out.append(Context({"code": school.code, "public_id": student.public_id}))
        for model in (MeasurementUpload, StudentDocument):
            for obj in model.objects.filter(school=school)[:1]:
                out.append(Context({"code": school.code, "public_id": obj.public_id}))
        for building in Building.objects.filter(school=school)[:1]:
            out.append(Context({"code": school.code, "pk": building.pk}))
        for photo in BuildingPhoto.objects.filter(building__school=school)[:1]:
            out.append(Context({"code": school.code, "public_id": photo.public_id}))
        for year in AcademicYear.objects.order_by("-year").values_list("year", flat=True)[:2]:
            for term in (1, 2):
                out.append(Context({"code": school.code, "year": year, "term": term}))
    for area in areas_overseen_by(user).order_by("code")[:1]:
        out.append(Context({"code": area.code}))
    documents = SignedDocument.objects.filter(
        Q(school__in=schools_visible_to(user)) | Q(actor=user)
    ).order_by("-signed_at")
    for document in documents[:2]:
        out.append(Context({"public_id": document.public_id}))
    visible = schools_visible_to(user)
    for label, flow_class in flows():
        process_class = flow_class.process_class
        mine = process_class.objects.filter(school__in=visible)
        if hasattr(process_class, "links"):  # an ID correction: its approvers' too
            mine = process_class.objects.filter(Q(school__in=visible) | Q(links__approver=user))
        if hasattr(process_class, "releasing_school"):  # a transfer: the releasing school's too
            mine = process_class.objects.filter(
                Q(school__in=visible) | Q(releasing_school__in=visible)
            )
        mine = mine.distinct().order_by("-pk")
        for process in mine[:3]:
            out.append(Context({"process_pk": process.pk}, prefix=f"{label}/"))
        kind = next((k for k, model in REQUEST_KINDS.items() if model is process_class), None)
        if kind:
            for process in mine[:2]:
                out.append(Context({"kind": kind, "pk": process.pk}))
        tasks = Task.objects.filter(process__in=Process.objects.filter(pk__in=mine.values("pk")))
        # One task per step and state (the user's own first): each action needs its own state.
        seen = set()
        for task in tasks.order_by("-pk"):
            key = (task.flow_task.name, task.status, task.owner_id == user.pk)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Context(
                    {"process_pk": task.process_id, "task_pk": task.pk},
                    prefix=f"{label}/<int:process_pk>/{task.flow_task.name}/",
                )
            )
    # The people an area office or the ministry keeps: a person's page and the end of a role.
    for membership in memberships_managed_by(user).select_related("user").order_by("pk")[:1]:
        person = membership.user.public_id
        out.append(Context({"public_id": person}, prefix="people/persons/"))
        out.append(Context({"public_id": person, "pk": membership.pk}, prefix="people/persons/"))
    for rate in SubsidyRate.objects.order_by("-pk")[:1]:
        out.append(Context({"pk": rate.pk}))
    for year in AcademicYear.objects.order_by("-year")[:1]:
        out.append(Context({"pk": year.pk}))
    for round_ in Round.objects.order_by("-as_of")[:2]:
        out.append(Context({"pk": round_.pk}))
    certified = SchoolRound.objects.filter(school__in=visible, state=SchoolRound.State.CERTIFIED)
    for school_round in certified[:1]:
        out.append(Context({"pk": school_round.pk}))
    for guide in GUIDES:
        out.append(Context({"slug": guide.slug}))
    for token in tokens:
        out.append(Context({"token": token}))
    return out


def take_own_tasks(client: Client, user: User) -> None:
    """Open one waiting task of each step from the persona's inbox (its "Open" button), so that
    viewflow's pages of a task in hand (execute, unassign) are theirs to see."""
    taken = set()
    for task in selectors.actionable_tasks(user=user).filter(status=STATUS.NEW):
        if task.flow_task in taken:
            continue
        taken.add(task.flow_task)
        client.post(reverse("workflows:take", args=[task.pk]))


def pages_of(user: User | None, all_patterns: list[str], *, tokens: list[str] = ()) -> Found:
    """Return the pages the persona (None: nobody signed in) may open among the patterns, one
    path per pattern, and what the others answered."""
    client = Client(HTTP_ACCEPT_LANGUAGE="th")
    if user is not None:
        client.force_login(user)
        take_own_tasks(client, user)
        contexts = contexts_of(user, tokens=tokens)
    else:
        contexts = [Context({})] + [
            Context({"public_id": d.public_id})
            for d in SignedDocument.objects.order_by("-signed_at")[:1]
        ]
    found = Found()
    for pattern in all_patterns:
        names = parameter_names(pattern)
        answers = []
        for context in [c for c in contexts if c.fits(pattern, names)][:12]:
            path = context.fill(pattern)
            response = client.get(path)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                found.pages[pattern] = path
                break
            answers.append(f"{path} → {response.status_code}")
        else:
            found.refused[pattern] = answers or [f"nothing of theirs fits {sorted(names)}"]
    return found
