"""Date the demo's past at the moments of its story, not at the moment seed_demo ran.

The services take the moment of each act (``at``), so the domain's own times (confirmed, certified,
submitted…) and the dates the signed records state are right when they are written. What they
cannot date is the flow engine's bookkeeping: viewflow stamps its processes and tasks with the
clock. This module re-dates those rows of a past process from the domain's times; the signatures
keep the real moment of signing.
"""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS


@transaction.atomic
def flow_history_date(
    *,
    process: Process,
    started: datetime,
    done: Mapping[str, datetime | None],
    ended: datetime,
) -> None:
    """Date a past process and its tasks at the moments of its story."""
    # A human step ends when ``done`` says (by node name), an automatic one when the step before
    # it ended, a fired timer at its deadline; what was cancelled ends at ``ended``.
    finished: dict[int, datetime] = {}
    created: dict[int, datetime] = {}
    tasks = Task.objects.filter(process=process).order_by("pk").prefetch_related("previous")
    for task in tasks:
        before = [p.pk for p in task.previous.all()]
        if task.flow_task_type == "TIMER":
            # Armed with the step it guards; fired at its deadline, or cancelled when that step ended.
            guarded = before[0] if before else None
            begin = created.get(guarded, started)
            end = task.scheduled if task.status == STATUS.DONE else finished.get(guarded, ended)
        else:
            begin = max((finished[pk] for pk in before if pk in finished), default=started)
            if task.flow_task_type != "HUMAN":
                end = begin
            elif task.status == STATUS.DONE:
                end = done.get(task.flow_task.name) or begin
            else:
                end = ended if task.status == STATUS.CANCELED else None
        created[task.pk] = begin
        if task.finished is not None and end is not None:
            finished[task.pk] = end
        Task.objects.filter(pk=task.pk).update(
            created=begin,
            assigned=end if task.assigned else None,
            started=end if task.started else None,
            finished=finished.get(task.pk),
        )
    Process.objects.filter(pk=process.pk).update(
        created=started,
        finished=max(finished.values(), default=ended) if process.finished else None,
    )


def step_drive(task: Task, user, act) -> None:
    """Do one human step as that user, like the step's page does: assign, start, act, execute."""
    with task.activation() as activation:
        if activation.task.owner_id is None:
            activation.assign(user)
        activation.start(None)
        act(activation)
        activation.execute()
