from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from schools.register import Plan, register_apply, register_plan


class Command(BaseCommand):
    help = (
        "Import the ministry's list of area offices and schools (.xlsx or CSV): show what it would "
        "change and every row it refuses; with --apply, save it all in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the school list, .xlsx or .csv (UTF-8 or TIS-620)")
        parser.add_argument(
            "--apply", action="store_true", help="save the changes (else a dry run)"
        )
        parser.add_argument(
            "--show", type=int, default=50, help="rows of each table to print (default 50; 0: all)"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        limit = settings.SCHOOL_REGISTER_MAX_BYTES
        if path.stat().st_size > limit:
            raise CommandError(f"{path}: larger than {limit // (1024 * 1024)} MB: refused.")
        data = path.read_bytes()
        try:
            plan = register_plan(data=data, filename=path.name)
            self._show(plan, options["show"])
            if not options["apply"]:
                self.stdout.write("Dry run: nothing saved. Run again with --apply to save.")
                return
            if plan.nothing_to_do:
                self.stdout.write("Nothing to save.")
                return
            saved = register_apply(
                data=data, filename=path.name, actor=None, expected_digest=plan.digest
            )
        except ValidationError as exc:
            raise CommandError(f"{path}: " + " ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Saved: {len(saved.added)} new, {len(saved.changed)} changed, "
                f"{len(saved.closed)} closed; {len(saved.refused)} rows refused and not saved."
            )
        )

    def _show(self, plan: Plan, show: int) -> None:
        out = self.stdout.write
        out(
            f"{plan.rows} rows: {len(plan.added)} new, {len(plan.changed)} changed, "
            f"{len(plan.closed)} closed, {plan.unchanged} unchanged, {len(plan.refused)} refused."
        )
        for title, items in (
            ("New", plan.added),
            ("Changed", plan.changed),
            ("Closed", plan.closed),
        ):
            if items:
                out(f"{title}:")
            for c in items[:show] if show else items:
                detail = "; ".join(
                    f"{k}: {old or '—'} → {new or '—'}" for k, (old, new) in c.changes.items()
                )
                out(
                    f"  line {c.line}  {c.kind} {c.code} {c.name}"
                    + (f"  ({detail})" if detail else "")
                )
            if show and len(items) > show:
                out(f"  … and {len(items) - show} more")
        if plan.refused:
            out("Refused:")
        for r in plan.refused[:show] if show else plan.refused:
            out(f"  line {r.line}  {r.code or '—'}: {r.message}")
        if show and len(plan.refused) > show:
            out(f"  … and {len(plan.refused) - show} more")
