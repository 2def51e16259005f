"""Reads of tasks and processes, scoped to what the user may act on or see."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import AreaOfficeUserObjectPermission, SchoolUserObjectPermission, User
from accounts.permissions import schools_visible_to
from schools.models import AreaOffice, School

from .models import CertificationProcess
from .registry import concrete, process_joins

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _object_perm(model, content_type: ContentType, user: User) -> Exists:
    """Match a task's required permission against the user's rows in a direct-FK guardian table."""
    return Exists(
        model.objects.annotate(
            full=Concat("permission__content_type__app_label", Value("."), "permission__codename")
        ).filter(
            user=user,
            full=OuterRef("owner_permission"),
            content_object_id=Cast(OuterRef("owner_permission_obj_pk"), BigIntegerField()),
        )
    ).__and__(Q(owner_permission_content_type=content_type))


def _objects_of(model, user: User):
    """Return the pks (as text, like a task's owner_permission_obj_pk) the user holds rows on."""
    return model.objects.filter(user=user).values(pk_text=Cast("content_object_id", CharField()))


def _actionable(user: User) -> QuerySet[Task]:
    school_ct = ContentType.objects.get_for_model(School)
    area_ct = ContentType.objects.get_for_model(AreaOffice)
    # The open human tasks come from the partial index workflows_open_task_obj (migration 0004);
    # the IN lists (hashed, a few rows per user) weed out other schools' tasks before the exact
    # (permission, object) pairs are matched: 40,000 open tasks on a count day.
    may_take = Q(owner__isnull=True) & (
        (
            Q(owner_permission_obj_pk__in=_objects_of(SchoolUserObjectPermission, user))
            & _object_perm(SchoolUserObjectPermission, school_ct, user)
        )
        | (
            Q(owner_permission_obj_pk__in=_objects_of(AreaOfficeUserObjectPermission, user))
            & _object_perm(AreaOfficeUserObjectPermission, area_ct, user)
        )
    )
    return Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN).filter(
        Q(owner=user) | may_take
    )


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
