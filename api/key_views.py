"""The page where a school's director or an area officer creates and revokes API keys."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from accounts.permissions import api_key_places_of

from . import selectors, services
from .forms import ApiKeyForm


class ApiKeysView(LoginRequiredMixin, FormView):
    """List the keys of the places the user manages; create one (its secret shown once)."""

    form_class = ApiKeyForm
    template_name = "api/keys.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.schools, self.areas = (list(q) for q in api_key_places_of(request.user))
            if not self.schools and not self.areas:
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "schools": self.schools, "areas": self.areas}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            keys=selectors.api_keys_managed_by(user=self.request.user),
            now=timezone.now(),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            key, secret = services.api_key_create(
                actor=self.request.user,
                name=data["name"],
                expires_at=data["expires_at"],
                can_write=data["can_write"],
                school=data["school"],
                area_office=data["area_office"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else []:
                form.add_error(field if field in form.fields else None, errors)
            if not hasattr(exc, "error_dict"):
                form.add_error(None, exc.messages)
            return self.form_invalid(form)
        # Shown in this answer only, never stored or redirected with: it is not kept anywhere.
        response = self.render_to_response(
            self.get_context_data(
                form=self.form_class(**self.get_form_kwargs() | {"data": None}),
                created=key,
                secret=secret,
            )  # fmt: skip
        )
        add_never_cache_headers(response)
        return response


class ApiKeyRevokeView(LoginRequiredMixin, View):
    """Revoke a key the user manages."""

    def post(self, request, public_id):
        key = get_object_or_404(
            selectors.api_keys_managed_by(user=request.user), public_id=public_id
        )
        services.api_key_revoke(key=key, actor=request.user)
        messages.success(request, _("The key %(name)s is revoked.") % {"name": key.name})
        return redirect("api_keys")
