from pathlib import Path

from django.core.management.base import BaseCommand

from census.rates import DEFAULT_RATES_CSV, subsidy_rates_load


class Command(BaseCommand):
    help = "Load per-head subsidy rates from a CSV file (idempotent; history kept for changes)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_RATES_CSV))

    def handle(self, *args, path, **options):
        done = subsidy_rates_load(path=Path(path))
        self.stdout.write(
            f"Subsidy rates from {path}: {done['created']} created, {done['updated']} changed, "
            f"{done['unchanged']} unchanged."
        )
