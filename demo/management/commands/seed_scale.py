"""Fill a PostgreSQL database of its own with synthetic national-scale data (see schools.scale).

python manage.py seed_scale --areas 245 --schools 29000 --learners 6500000 [--seed N] [--round]
"""

from django.core.management.base import BaseCommand, CommandError

from demo import scale


class Command(BaseCommand):
    help = (
        "Load synthetic area offices, schools, learners (COPY) and logins into a PostgreSQL "
        "database that holds nothing else; idempotent per seed. Refuses real or demo data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--areas", type=int, default=245)
        parser.add_argument("--schools", type=int, default=29_000)
        parser.add_argument("--learners", type=int, default=6_500_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--force", action="store_true", help="reload even when this seed is already loaded"
        )
        parser.add_argument(
            "--round",
            action="store_true",
            help="also put every school in round 1 of this academic year, in a mix of states "
            "(certified, acknowledged, confirmed, prepared, not started), certified rosters frozen",
        )

    def handle(self, *args, areas, schools, learners, seed, force, round, **options):
        say = self.stdout.write
        say(f"seed_scale: {areas:,} area offices, {schools:,} schools, {learners:,} learners, "
            f"seed {seed}")  # fmt: skip
        try:
            result = scale.seed_scale(
                areas=areas, schools=schools, learners=learners, seed=seed, force=force, say=say
            )
            if round:
                scale.scale_round_open(seed=seed, say=say)
        except scale.ScaleRefused as exc:
            raise CommandError(str(exc)) from exc
        if not result["skipped"]:
            rate = result["rows"] / max(result["seconds"], 1e-9)
            say(self.style.SUCCESS(
                f"Loaded {result['rows']:,} rows in {result['seconds']:.1f} s "
                f"({rate:,.0f} rows/s)."
            ))  # fmt: skip
        say(
            f"Logins (password {scale.SCALE_PASSWORD}): {scale.USER_PREFIX}admin (ministry admin), "
            f"{scale.USER_PREFIX}area.sc001 (area officer), {scale.USER_PREFIX}staff.9900000001 "
            f"and {scale.USER_PREFIX}director.9900000001 (school)."
        )
