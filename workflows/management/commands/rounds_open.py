from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from census.models import Round
from census.selectors import rounds_open_for_processes
from workflows.services import round_open


class Command(BaseCommand):
    help = "Start the certification process of every school for the rounds that are due (or one round)."

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, help="the id of one round to open now")

    def handle(self, *args, **options):
        if options["round"]:
            rounds = Round.objects.filter(pk=options["round"])
            if not rounds.exists():
                raise CommandError(f"no round with id {options['round']}")
        else:
            rounds = rounds_open_for_processes()
        for round in rounds:
            with transaction.atomic():
                started = round_open(round=round)
            self.stdout.write(f"round {round} (id {round.pk}): {started} processes started")
