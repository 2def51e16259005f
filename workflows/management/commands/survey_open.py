from django.core.management.base import BaseCommand, CommandError

from buildings.models import SurveyYear
from buildings.selectors import survey_years_due
from buildings.services import survey_year_create
from workflows.building_survey import survey_year_open


class Command(BaseCommand):
    help = (
        "Start the building survey process of every school for the survey years whose window has "
        "opened (or one year, now); --create makes a year with the default window."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="the academic year (BE) to open now")
        parser.add_argument(
            "--create", action="store_true", help="create the year (1 Oct 00:00 – 30 Oct 16:30)"
        )

    def handle(self, *args, **options):
        year = options["year"]
        if options["create"]:
            if not year:
                raise CommandError("--create needs --year")
            if not SurveyYear.objects.filter(year=year).exists():
                survey_year_create(year_be=year)
                self.stdout.write(f"survey year {year} created")
        if year:
            years = SurveyYear.objects.filter(year=year)
            if not years.exists():
                raise CommandError(f"no survey year {year}")
        else:
            years = survey_years_due()
        for survey_year in years:
            started = survey_year_open(survey_year=survey_year)
            self.stdout.write(f"building survey {survey_year}: {started} processes started")
