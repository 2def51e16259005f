import time

from django.core.management.base import BaseCommand, CommandError

from schools import nutrition


class Command(BaseCommand):
    help = (
        "Compute the nutrition status (WHO z-scores, the Department of Health's bands) of the "
        "measurements that have none or one from another reference; with --all, of every one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="compute every measurement again, not only the stale"
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="rows read and written at once (5000)"
        )

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            ref = nutrition.reference()
        except nutrition.ReferenceError as exc:
            raise CommandError(f"The growth reference cannot be read: {exc}") from exc
        started = time.monotonic()
        written = nutrition.backfill(
            everything=options["all"],
            batch_size=options["batch_size"],
            progress=lambda n: self.stdout.write(f"{n} measurements…"),
        )
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{written} measurements given a status by reference {ref.version} in {seconds:.1f} s."
        )
