"""The invitation e-mail, in Thai: a fresh link each time it is sent."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.templatetags.thai import be_date, in_thai

from .audit import role_change_record
from .invitation_links import link_token, new_secret, secret_hash
from .mail import mail_compose
from .models import Invitation, RoleChange


def invitation_url(token: str) -> str:
    """Return the full address of the acceptance page for a token."""
    return settings.VERIFY_BASE_URL.rstrip("/") + reverse("invitation_accept", args=[token])


@in_thai
@transaction.atomic
def invitation_send(*, invitation: Invitation) -> bool:
    """E-mail the invitation with a new link (an earlier link stops working); return False, sending
    nothing, when it is no longer pending."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("invited_by", "school", "area_office")
        .get(pk=invitation.pk)
    )
    now = timezone.now()
    if invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= now:
        return False
    secret = new_secret()
    invitation.token_hash = secret_hash(secret)
    invitation.sent_at = now
    invitation.save(update_fields=["token_hash", "sent_at"])
    role_change_record(
        action=RoleChange.Action.INVITATION_SENT, actor=None, role=invitation.role,
        email=invitation.email, school=invitation.school, area_office=invitation.area_office,
        invitation=invitation,
    )  # fmt: skip
    place = invitation.place
    values = {
        "name": invitation.display_name,
        "inviter": invitation.invited_by.display_name,
        "role": invitation.get_role_display(),
        "place": place.name_th if place is not None else _("nationwide"),
        "expires": be_date(invitation.expires_at),
        "url": invitation_url(link_token(invitation, secret)),
        "email": invitation.email,
    }
    subject, body = mail_compose("accounts/mail/invitation", values)
    recipient = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))
    return True
