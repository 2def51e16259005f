"""Reads of tasks and processes, scoped to what the user may act on or see."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Min, Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from accounts.permissions import schools_visible_to, tasks_open_to
from schools.models import School

from .models import REQUEST_KINDS, CertificationProcess, RequestProcess, TransferProcess
from .registry import concrete, process_joins

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _actionable(user: User) -> QuerySet[Task]:
    """Return the open human tasks the user owns or may take (accounts.permissions decides)."""
    return tasks_open_to(user, Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN))


def actionable_tasks(*, user: User) -> QuerySet[Task]:
    """Return the open human tasks the user owns or may take, in every flow (one query)."""
    if not user.is_authenticated:
        return Task.objects.none()
    return (
        _actionable(user)
        .select_related("process", "owner", *process_joins())
        .order_by("created", "pk")
    )


@dataclass
class InboxRow:
    task: Task
    process: object
    school: School | None
    title: str
    deadline: datetime | None
    owned: bool


@dataclass
class Waiting:
    """One step that waits for the user: its title, how many tasks, and the oldest one."""

    title: str
    count: int
    first_task_pk: int


def waiting_for(*, user: User) -> list[Waiting]:
    """Return what waits for the user now, step by step, oldest first (one query)."""
    if not user.is_authenticated:
        return []
    rows = (
        _actionable(user)
        .order_by()
        .values("flow_task")
        .annotate(count=Count("pk"), first=Min("pk"))
        .order_by("first")
    )
    return [Waiting(str(r["flow_task"].task_title), r["count"], r["first"]) for r in rows]


def waiting_count(*, user: User) -> int:
    """Return how many tasks wait for the user (one query)."""
    return _actionable(user).count() if user.is_authenticated else 0


INBOX_PAGE_SIZE = 50


def _inbox_row(task: Task, user: User) -> InboxRow:
    process = concrete(task.process)
    return InboxRow(
        task=task,
        process=process,
        school=getattr(process, "school", None),
        title=str(task.flow_task.task_title or task.flow_task),
        deadline=getattr(process, "deadline", None),
        owned=task.owner_id == user.pk,
    )


def inbox_rows(*, user: User, limit: int = INBOX_PAGE_SIZE) -> list[InboxRow]:
    """Return the first tasks of the user's inbox with their school, what is asked and deadline."""
    return [_inbox_row(task, user) for task in actionable_tasks(user=user)[:limit]]


def inbox_page(*, user: User, number=None, per_page: int = INBOX_PAGE_SIZE) -> Page:
    """Return one page of the user's inbox (its object_list holds InboxRows): three queries (the
    count, the page's ids, their rows), however many tasks wait."""
    if not user.is_authenticated:
        return Paginator([], per_page).get_page(1)
    # Count and pick the page's task ids on the task table alone, then join the processes, their
    # schools and learners for those 50 ids only. (With the page as a subquery instead, PostgreSQL
    # joins every task of the country first: 1.8 s, JIT included.)
    ids = _actionable(user).order_by("created", "pk").values_list("pk", flat=True)
    page = Paginator(ids, per_page).get_page(number)
    tasks = Task.objects.filter(pk__in=list(page.object_list)).select_related(
        "process", "owner", *process_joins()
    )
    page.object_list = [_inbox_row(task, user) for task in tasks.order_by("created", "pk")]
    return page


def certification_processes_visible_to(*, user: User) -> QuerySet[CertificationProcess]:
    """Return the certification processes of the schools the user may see."""
    return CertificationProcess.objects.filter(school__in=schools_visible_to(user))


def requests_of_school(*, school: School, per_kind: int = 50) -> list[tuple[str, RequestProcess]]:
    """Return the school's approval requests with their kind, newest first: the latest
    ``per_kind`` of each kind, the transfers it releases included (one query a kind)."""
    rows = []
    for kind, model in REQUEST_KINDS.items():
        joins = ["requested_by"] + [f for f in ("student", "releasing_school") if hasattr(model, f)]
        scope = Q(school=school) | (Q(releasing_school=school) if model is TransferProcess else Q())
        latest = model.objects.filter(scope).select_related(*joins).order_by("-pk")[:per_kind]
        rows += [(kind, process) for process in latest]
    # Four tables, so the kinds' newest are merged here: at most four times per_kind rows.
    rows.sort(key=lambda row: row[1].created, reverse=True)
    return rows
