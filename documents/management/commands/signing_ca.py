from django.core.management.base import BaseCommand

from documents.signing import trust_roots_pem


class Command(BaseCommand):
    help = "Print the trust root(s) that signed records chain to, in PEM."

    def handle(self, *args, **options):
        self.stdout.write(trust_roots_pem(), ending="")
