from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from documents.models import SignedDocument
from documents.render import BANGKOK
from documents.selectors import annexes_unrendered
from documents.services import AnnexesRequeued, annexes_requeue
from schools.models import School


class Command(BaseCommand):
    help = (
        "Queue again the step records and annexes still pending (e.g. after the broker lost its "
        "queue) and, with --failed, the failed ones; running it twice is harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=30,
            metavar="MINUTES",
            help="only pending annexes created at least this long ago (default 30; 0 for all)",
        )
        parser.add_argument(
            "--failed",
            action="store_true",
            help="also reset the failed annexes to pending, clear their error and queue them",
        )
        parser.add_argument("--school", metavar="CODE", help="only this school's annexes")
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be queued; change nothing"
        )

    def handle(self, *args, older_than, failed, school, dry_run, **options):
        if older_than < 0:
            raise CommandError("--older-than must not be negative")
        school_code = school
        school = None
        if school_code:
            school = School.objects.filter(code=school_code).first()
            if school is None:
                raise CommandError(f"no school with code {school_code}")
        selection = {
            "older_than": timedelta(minutes=older_than),
            "include_failed": failed,
            "school": school,
        }
        if dry_run:
            annexes = annexes_unrendered(**selection).values_list(
                "pk", "status", "school__code", "created_at", "step_key"
            )
            statuses = []
            for pk, status, code, created_at, step_key in annexes.iterator(chunk_size=2000):
                created = timezone.localtime(created_at, BANGKOK).isoformat(timespec="seconds")
                self.stdout.write(f"{pk}\t{status}\t{code or '-'}\t{created}\t{step_key}")
                statuses.append(status)
            failed_count = statuses.count(SignedDocument.Status.FAILED)
            done = AnnexesRequeued(pending=len(statuses) - failed_count, failed=failed_count)
        else:
            done = annexes_requeue(**selection)
        counts = f"{done.total} records and annexes ({done.pending} pending, {done.failed} failed)"
        if dry_run:
            self.stdout.write(f"Would re-queue {counts}; dry run, nothing changed")
        else:
            self.stdout.write(f"Re-queued {counts}")
