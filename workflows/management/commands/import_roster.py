from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from schools.models import School
from schools.roster_import import Kind, roster_plan
from schools.roster_services import roster_import_apply
from schools.uploads import UploadError


class Command(BaseCommand):
    help = (
        "Preview a school's roster file (.xlsx or .csv) row by row; with --apply, save every "
        "accepted row in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("school_code")
        parser.add_argument("path")
        parser.add_argument("--apply", action="store_true", help="save the accepted rows")
        parser.add_argument("--actor", help="username recorded in the audit trail")

    def handle(self, *args, school_code, path, apply, actor, **options):
        school = School.objects.filter(code=school_code).first()
        if school is None:
            raise CommandError(f"No school has the code {school_code}.")
        user = None
        if actor:
            user = User.objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user is named {actor}.")
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            if apply:
                result = roster_import_apply(
                    data=data, filename=file.name, schools=[school], actor=user
                )
                plan = result.plan
            else:
                plan = roster_plan(data=data, filename=file.name, schools=[school])
        except (UploadError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from exc
        self._report(plan)
        if apply:
            self.stdout.write(
                f"Applied: {result.added} learners added, {result.enrolled} enrolled, "
                f"{result.changed} changed, {result.unchanged} unchanged, "
                f"{result.measured} weights and heights, {result.transfers} transfer requests, "
                f"{result.refused} rows refused."
            )
        else:
            self.stdout.write("Dry run: nothing saved (add --apply to save the accepted rows).")

    def _report(self, plan) -> None:
        counts = plan.counts()
        self.stdout.write(", ".join(f"{Kind(k).label}: {n}" for k, n in counts.items()))
        for row in plan.rows:
            if row.kind == Kind.REFUSED:
                self.stdout.write(f"line {row.line}: {'; '.join(row.reasons)}")
            elif row.kind == Kind.CHANGES:
                changes = ", ".join(f"{n} {old} → {new}" for n, (old, new) in row.changes.items())
                self.stdout.write(f"line {row.line}: {changes}")
            elif row.kind == Kind.ELSEWHERE:
                self.stdout.write(f"line {row.line}: active at {row.holder.code}")
