"""The demo leaves one invitation waiting, its e-mail (with the link) written to the mail folder."""

import re
from io import StringIO

from django.core.management import call_command
from django.test import override_settings

from accounts.models import Invitation


def test_the_demo_invitation_link_is_in_the_mail_folder(
    client, db, tmp_path, django_capture_on_commit_callbacks
):
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(tmp_path),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        call_command("seed_demo", stdout=StringIO())  # idempotent: still one invitation
    (invitation,) = Invitation.objects.pending()
    assert invitation.email in out.getvalue() and "var/mail/" in out.getvalue()
    mails = [p.read_text() for p in tmp_path.iterdir()]
    (message,) = [m for m in mails if invitation.email in m]
    path = re.search(r"https?://[^/\s]+(/accounts/invitation/\S+/)", message).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "new_password1" in page.content.decode()
