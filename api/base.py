"""The API's view base: the caller's language, the key, the scopes, the rate limit; and the
Idempotency-Key of every write."""

import hashlib
import json
import re

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from .authentication import ApiKeyAuthentication
from .models import IdempotentWrite
from .permissions import KeyScopes
from .problems import activate_language, problem
from .services import IdempotencyConflict, idempotent_write_record
from .throttling import ApiKeyRateThrottle

IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[!-~]{1,255}$", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=True,
    description="A unique value per intended write (a UUID): a retry with the same value "
    "gets the first answer again and changes nothing.",
)
ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="th (the default) or en: the language of error messages.",
)


class ApiView(APIView):
    """A view of /api/v1/: authenticated by a key, scoped, rate-limited, answering in the caller's
    language."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [KeyScopes]
    throttle_classes = [ApiKeyRateThrottle]

    def initialize_request(self, request, *args, **kwargs):
        activate_language(request)
        return super().initialize_request(request, *args, **kwargs)

    @property
    def principal(self):
        """Return the user the key acts as (the object permissions are asked of it)."""
        return self.request.user


class IdempotentWriteMixin:
    """Run ``act`` once per Idempotency-Key and caller; a retry gets the stored answer.

    The answer is stored in the write's own transaction: a write that failed stored nothing and
    may be retried with the same key; one that succeeded is never done twice."""

    def idempotent(self, request, act) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY.fullmatch(key):
            return problem(
                status_code=400,
                kind="idempotency-key",
                title=_("The request is not valid."),
                detail=_(
                    "Send an Idempotency-Key header (1 to 255 visible ASCII characters, no "
                    "spaces) with every write."
                ),
            )
        fingerprint = hashlib.sha256(
            b"\n".join((request.method.encode(), request.path.encode(), request.body))
        ).hexdigest()
        stored = IdempotentWrite.objects.filter(api_key=request.auth, key=key).first()
        if stored is not None:
            return self._replay(stored, fingerprint)
        try:
            with transaction.atomic():
                status_code, data = act()
                body = json.loads(json.dumps(data, cls=JSONEncoder))
                idempotent_write_record(
                    api_key=request.auth,
                    key=key,
                    fingerprint=fingerprint,
                    status=status_code,
                    body=body,
                )
        except IdempotencyConflict:
            stored = IdempotentWrite.objects.get(api_key=request.auth, key=key)
            return self._replay(stored, fingerprint)
        return Response(body, status=status_code)

    def _replay(self, stored: IdempotentWrite, fingerprint: str) -> Response:
        if stored.fingerprint != fingerprint:
            return problem(
                status_code=422,
                kind="idempotency-key-reused",
                title=_("The request was refused."),
                detail=_("This Idempotency-Key was used for another request."),
            )
        return Response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})
