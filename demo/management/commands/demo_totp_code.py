from django.core.management.base import BaseCommand

from demo.second_factor import demo_totp_code, demo_totp_secret


class Command(BaseCommand):
    help = (
        "Print the demo authenticator's code now (the demo's area, approver and ministry logins)."
    )

    def handle(self, *args, **options):
        self.stdout.write(demo_totp_code())
        self.stderr.write(f"(key {demo_totp_secret()}; a new code every 30 seconds)")
