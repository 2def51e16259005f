from celery import shared_task

from .models import MeasurementUpload, RosterImport
from .retries import retry_or_fail
from .roster_services import roster_import_fail, roster_import_process
from .services import measurement_upload_fail, measurement_upload_process


@shared_task(bind=True, max_retries=3, default_retry_delay=10, acks_late=True)
def process_measurement_upload(self, upload_id: int) -> str:
    """Check and save an uploaded weight and height file; a retry after success does nothing."""
    upload = MeasurementUpload.objects.get(pk=upload_id)
    try:
        return measurement_upload_process(upload=upload).status
    except Exception as exc:
        retry_or_fail(
            self, exc, fail=lambda e: measurement_upload_fail(upload=upload, reason=_name(e))
        )


@shared_task(bind=True, max_retries=3, default_retry_delay=10, acks_late=True)
def process_roster_import(self, roster_import_id: int) -> str:
    """Apply a roster file whose preview was accepted; a retry after success does nothing."""
    roster_import = RosterImport.objects.get(pk=roster_import_id)
    try:
        return roster_import_process(roster_import=roster_import).status
    except Exception as exc:
        retry_or_fail(
            self,
            exc,
            fail=lambda e: roster_import_fail(roster_import=roster_import, reason=_name(e)),
        )


def _name(error: Exception) -> str:
    # What the upload's page says went wrong: the error's kind, not its text (which may hold data).
    return type(error).__name__
