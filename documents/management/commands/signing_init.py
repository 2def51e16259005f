from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from documents.signing import development_keys_create, development_keys_exist


class Command(BaseCommand):
    help = "Create the development CA and signing key in SIGNING_DIR, unless they exist."

    def handle(self, *args, **options):
        if settings.SIGNING_P12:
            self.stdout.write("SIGNING_P12 is set: nothing to create.")
            return
        directory = Path(settings.SIGNING_DIR)
        if development_keys_exist(directory):
            self.stdout.write(f"Signing keys already exist in {directory}.")
            return
        keys = development_keys_create(directory=directory)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the development CA {keys.ca_path} "
                f"and signing key {keys.p12_path} (not for production)."
            )
        )
