"""What a Celery task does when its work fails: try again later, and after the last try record the
failure where people see it (an upload's or an annex's status), then let Celery see the error."""

from collections.abc import Callable
from typing import NoReturn

from celery import Task


def retry_or_fail(task: Task, exc: Exception, *, fail: Callable[[Exception], object]) -> NoReturn:
    """Retry the task after an error; after its last retry, call ``fail`` with the error and
    raise it."""
    if task.request.retries >= task.max_retries:
        fail(exc)
        raise exc
    raise task.retry(exc=exc) from exc
