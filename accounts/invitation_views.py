"""The public page an invitation link opens: choose a password (a new account) or accept while
signed in (a person who already has one). Outside the site: the person may have no login yet."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from .invitation_links import LinkRefused, invitation_from_token
from .invitations import invitation_accept
from .models import User

REFUSED_STATUS = {"tampered": 400, "expired": 410, "used": 410, "revoked": 410}
# The link's secret is in these pages' address: no other site sees it as a referrer. Not
# "no-referrer": under it a browser posts the page's form with "Origin: null", which Django's CSRF
# check refuses, so nobody could accept an invitation.
REFERRER_POLICY = "same-origin"


class InvitationAcceptView(View):
    """Show what the invitation offers and take the person's answer (single use)."""

    template_name = "accounts/invitation_accept.html"

    def dispatch(self, request, token):
        try:
            self.invitation = invitation_from_token(token)
        except LinkRefused as refused:
            return self.refused(refused.reason)
        return super().dispatch(request, token)

    def refused(self, reason: str):
        response = render(
            self.request, "accounts/invitation_refused.html", {"reason": reason},
            status=REFUSED_STATUS[reason],
        )  # fmt: skip
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    def account(self) -> User | None:
        return User.objects.filter(email__iexact=self.invitation.email).first()

    def form(self, data=None):
        invitation = self.invitation
        # An unsaved user, so that the password validators compare the password with the name.
        person = User(
            username=invitation.email, email=invitation.email,
            first_name=invitation.first_name, last_name=invitation.last_name,
        )  # fmt: skip
        return SetPasswordForm(person, data)

    def page(self, **context):
        account = self.account()
        user = self.request.user
        context.setdefault("form", self.form() if account is None else None)
        response = render(
            self.request,
            self.template_name,
            {
                "invitation": self.invitation,
                "account": account,
                "signed_in_as_account": account is not None
                and user.is_authenticated
                and user.pk == account.pk,
                "signed_in_as_other": user.is_authenticated
                and (account is None or user.pk != account.pk),
                "login_url": reverse("login") + "?" + urlencode({"next": self.request.path}),
                **context,
            },
        )
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    def get(self, request, token):
        return self.page()

    def post(self, request, token):
        account = self.account()
        if account is None:
            if request.user.is_authenticated:
                return self.page(error=_("Sign out first: this invitation makes a new account."))
            form = self.form(request.POST)
            if not form.is_valid():
                return self.page(form=form)
            kwargs = {"password": form.cleaned_data["new_password1"]}
        else:
            if not (request.user.is_authenticated and request.user.pk == account.pk):
                return self.page()
            kwargs = {"user": request.user}
        try:
            membership = invitation_accept(token=token, **kwargs)
        except LinkRefused as refused:
            return self.refused(refused.reason)
        except ValidationError as exc:
            return self.page(error=" ".join(exc.messages))
        if account is None:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome: you now hold the role %(role)s.") % {"role": membership.get_role_display()},
        )
        return redirect("home")
