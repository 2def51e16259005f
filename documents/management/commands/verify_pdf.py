from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from documents.render import BANGKOK
from documents.verify import pdf_verify


class Command(BaseCommand):
    help = "Verify PDF files against the configured trust root; exit 1 if any is not valid."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, **options):
        invalid = 0
        for name in options["files"]:
            try:
                data = Path(name).read_bytes()
            except OSError as exc:
                invalid += 1
                self.stdout.write(f"INVALID {name}: cannot read ({exc.strerror})")
                continue
            check = pdf_verify(data=data)
            if check.valid:
                when = (
                    timezone.localtime(check.signed_at, BANGKOK).isoformat(timespec="seconds")
                    if check.signed_at
                    else "?"
                )
                self.stdout.write(f"OK {name}: signed by {check.signer} at {when}")
            else:
                invalid += 1
                self.stdout.write(f"INVALID {name}: {check.reason}")
        if invalid:
            # The exit status is the verdict for scripts; call_command raises it as SystemExit(1).
            raise SystemExit(1)
