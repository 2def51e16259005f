"""Errors in one shape, RFC 9457 problem details, in the language the caller asks for."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

PROBLEM_TYPE = "urn:opendmc:problem:"
CONTENT_TYPE = "application/problem+json"


def language_from_header(header: str) -> str:
    """Return the first supported language of an Accept-Language header by weight; Thai else."""
    supported = {code for code, _name in settings.LANGUAGES}
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        weighted.append((-weight, position, tag.strip().lower().split("-")[0]))
    for negative_weight, _position, base in sorted(weighted):
        if negative_weight < 0 and base in supported:
            return base
    return settings.LANGUAGE_CODE


def problem(
    *, status_code: int, kind: str, title: str, detail: str = "", errors=None, headers=None
) -> Response:
    """Return a problem-details response."""
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status_code}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = CONTENT_TYPE
    return response


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """Flatten DRF's nested error details into [{"field": "a.b", "message": ...}]."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            found += _field_errors(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return found
    if isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            return [{"field": prefix, "message": str(v)} for v in detail]
        found = []
        for index, value in enumerate(detail):
            found += _field_errors(value, f"{prefix}[{index}]")
        return found
    return [{"field": prefix, "message": str(detail)}]


def refusal(exc: DjangoValidationError) -> Response:
    """Return the 422 of a rule a service refused (the roster locked, a learner not here ...)."""
    rows = getattr(exc, "rows", None)
    if rows is not None:  # a bulk write: every refused row with its number
        errors = rows
    elif hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "", "message": message} for message in exc.messages]
    return problem(
        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        kind="refused",
        title=_("The request was refused."),
        detail=errors[0]["message"] if len(errors) == 1 else "",
        errors=errors,
    )


def exception_handler(exc, context):
    """Turn every error of an API view into problem details (DRF's EXCEPTION_HANDLER)."""
    if isinstance(exc, DjangoValidationError):
        return refusal(exc)
    if isinstance(exc, RequestDataTooBig):
        return problem(
            status_code=413,
            kind="too-large",
            title=_("The request is too large."),
            detail=_("Send at most %(mb)s MB in one request.")
            % {"mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    headers = {}
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        return problem(
            status_code=400,
            kind="invalid",
            title=_("The request is not valid."),
            errors=_field_errors(exc.detail),
        )
    titles = {
        exceptions.NotAuthenticated: ("unauthenticated", _("An API key is needed.")),
        exceptions.AuthenticationFailed: ("unauthenticated", _("The API key is not valid.")),
        exceptions.PermissionDenied: ("forbidden", _("Not allowed.")),
        exceptions.NotFound: ("not-found", _("Not found.")),
        exceptions.MethodNotAllowed: ("method-not-allowed", _("Method not allowed.")),
        exceptions.NotAcceptable: ("not-acceptable", _("Cannot answer in the format asked for.")),
        exceptions.UnsupportedMediaType: ("unsupported-media-type", _("Send JSON.")),
        exceptions.Throttled: ("rate-limited", _("Too many requests: slow down.")),
        exceptions.ParseError: ("invalid", _("The request is not valid.")),
    }
    if isinstance(exc, exceptions.APIException):
        kind, title = next(
            (found for cls, found in titles.items() if isinstance(exc, cls)),
            ("error", _("The request failed.")),
        )
        detail = exc.detail if isinstance(exc.detail, str) else ""
        if isinstance(exc, exceptions.Throttled):
            detail = _("Try again in %(seconds)d seconds.") % {"seconds": int(exc.wait or 1)}
        elif isinstance(exc, exceptions.NotFound | exceptions.MethodNotAllowed):
            detail = ""
        return problem(
            status_code=exc.status_code,
            kind=kind,
            title=title,
            detail=str(detail),
            headers=headers,
        )
    return None  # anything else is a bug: Django's 500 handler logs it


def activate_language(request) -> None:
    """Speak the language of the call's Accept-Language (Thai when none is supported)."""
    language = language_from_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    translation.activate(language)
    request.LANGUAGE_CODE = language
