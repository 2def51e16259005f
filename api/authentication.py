"""Who calls: an API key in ``Authorization: Bearer <key>``, acting through its principal."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiKey
from .services import KEY_PREFIX, api_key_used, key_digest


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate a call by its API key; a revoked or expired key is refused like a wrong one."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as: Authorization: Bearer <key>.")
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The API key is not valid.")) from None
        key = (
            ApiKey.objects.usable()
            .select_related("principal", "school__area_office", "area_office")
            .filter(key_hash=key_digest(secret))
            .first()
            if secret.startswith(KEY_PREFIX)
            else None
        )
        if key is None:
            raise exceptions.AuthenticationFailed(
                _("The API key is not valid, revoked or expired.")
            )
        api_key_used(key=key)
        return key.principal, key

    def authenticate_header(self, request):
        return 'Bearer realm="opendmc-api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Describe the key in the OpenAPI schema (a bearer token)."""

    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key created by a school's director or an area officer "
            "(page: API keys / คีย์ API).",
        }
