"""Reads of tasks and processes, scoped to what the user may act on or see."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Value
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


def actionable_tasks(*, user: User) -> QuerySet[Task]:
    """Return the open human tasks the user owns or may take, in every flow (one query)."""
    if not user.is_authenticated:
        return Task.objects.none()
    school_ct = ContentType.objects.get_for_model(School)
    area_ct = ContentType.objects.get_for_model(AreaOffice)
    may_take = Q(owner__isnull=True) & (
        _object_perm(SchoolUserObjectPermission, school_ct, user)
        | _object_perm(AreaOfficeUserObjectPermission, area_ct, user)
    )
    return (
        Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN)
        .filter(Q(owner=user) | may_take)
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


def inbox_rows(*, user: User, limit: int = 200) -> list[InboxRow]:
    """Return the user's inbox: each task with its school, what is asked and its deadline."""
    rows = []
    for task in actionable_tasks(user=user)[:limit]:
        process = concrete(task.process)
        rows.append(
            InboxRow(
                task=task,
                process=process,
                school=getattr(process, "school", None),
                title=str(task.flow_task.task_title or task.flow_task),
                deadline=getattr(process, "deadline", None),
                owned=task.owner_id == user.pk,
            )
        )
    return rows


def certification_processes_visible_to(*, user: User) -> QuerySet[CertificationProcess]:
    """Return the certification processes of the schools the user may see."""
    return CertificationProcess.objects.filter(school__in=schools_visible_to(user))
