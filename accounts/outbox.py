"""Celery tasks that outlive a broker that is down: the count day does not stop with Redis.

``task_send`` queues a task; when the broker refuses it (down, unreachable), the task is kept in the
database (``OutboxTask``) and the caller goes on: the change it made is committed and its page is
not an error. Beat runs ``accounts.tasks.send_outbox`` every minute, which queues the kept tasks
again, oldest first, once the broker takes them (beat's own message to the worker waits for the
broker too). Every task sent this way takes ids and is idempotent, so a task sent twice (a crash
between queueing and forgetting it) does its work once; an e-mail may then go twice.
"""

import logging

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerOperationalError

from .models import OutboxTask

log = logging.getLogger(__name__)

# What publishing raises when the broker is down: kombu wraps the transport's connection errors in
# its OperationalError; a socket that times out or is refused raises OSError.
BROKER_ERRORS = (BrokerOperationalError, OSError)
# Queue again at most this many kept tasks per run of send_outbox (one a minute).
FLUSH_BATCH = 500


def task_send(task, *args) -> bool:
    """Queue ``task(*args)``; keep it in the outbox if the broker refuses it. Return whether queued.

    With CELERY_TASK_ALWAYS_EAGER (the embedded default, the tests) the task runs here, as before.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(args=args)
        return True
    try:
        task.apply_async(args=args)
    except BROKER_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"
    else:
        return True
    try:
        OutboxTask.objects.create(task=task.name, args=list(args), error=reason[:2000])
    except Exception:  # the database down as well: nothing left to keep it in
        log.exception("The broker refused %s and the outbox could not keep it", task.name)
        return False
    log.warning("The broker refused %s (%s): kept in the outbox", task.name, reason)
    return False


def task_send_on_commit(task, *args, robust: bool = False) -> None:
    """Queue ``task(*args)`` once the current transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: task_send(task, *args), robust=robust)


def outbox_send(*, limit: int = FLUSH_BATCH) -> int:
    """Queue the kept tasks again, oldest first, until the broker refuses one; return how many."""
    sent = 0
    with transaction.atomic():
        kept = list(OutboxTask.objects.select_for_update(skip_locked=True).order_by("pk")[:limit])
        for task in kept:
            try:
                current_app.send_task(task.task, args=task.args)
            except BROKER_ERRORS as exc:
                task.attempts += 1
                task.error = f"{type(exc).__name__}: {exc}"[:2000]
                task.save(update_fields=["attempts", "error"])
                log.warning("The broker still refuses the outbox (%s)", task.error)
                break
            task.delete()
            sent += 1
    if sent:
        log.info("Queued %d task(s) kept while the broker was down", sent)
    return sent
