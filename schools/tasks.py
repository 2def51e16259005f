from celery import shared_task

from .models import MeasurementUpload
from .services import measurement_upload_fail, measurement_upload_process


@shared_task(bind=True, max_retries=3, default_retry_delay=10, acks_late=True)
def process_measurement_upload(self, upload_id: int) -> str:
    """Check and save an uploaded weight and height file; a retry after success does nothing."""
    upload = MeasurementUpload.objects.get(pk=upload_id)
    try:
        return measurement_upload_process(upload=upload).status
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            measurement_upload_fail(upload=upload, reason=type(exc).__name__)
            raise
        raise self.retry(exc=exc) from exc
