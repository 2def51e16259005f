"""Sign-in with ThaiD (OpenID Connect): the provider's client and the checks of its ID token.

Authlib does the protocol: it reads the provider's discovery document, sends the person there with
a state, a nonce and a PKCE (S256) challenge kept in the session, exchanges the code (with the
verifier) for the tokens, checks the ID token's signature against the provider's JWKS (fetched
again once when the key id is unknown, for the provider's key rotation) and its claims: issuer,
audience, expiry, nonce. Who that person is in OpenDMC is decided by `services.oidc_user_resolve`.

Signing out of OpenDMC after a ThaiD sign-in also ends the person's session at the provider
(OpenID Connect RP-Initiated Logout): the ID token of the sign-in is kept in the session
(ID_TOKEN_KEY) and handed back to the provider's `end_session_endpoint` as `id_token_hint`.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)

# The registry's name for the provider; Authlib keys the session's state data with it.
PROVIDER = "thaid"
# The raw ID token of a ThaiD sign-in, kept in the session for the sign-out at the provider.
ID_TOKEN_KEY = "dmc_oidc_id_token"  # noqa: S105 - a session key's name, not a secret


class Refusal:
    """Why a sign-in through the provider was refused (kept in the audit entry's details)."""

    STATE = "state"  # no sign-in was started from this browser, or it was finished already
    PROVIDER_ERROR = (
        "provider_error"  # the provider answered with an error (e.g. the person cancelled)
    )
    UNAVAILABLE = "unavailable"  # the provider could not be reached or refused the code
    SIGNATURE = "signature"
    AUDIENCE = "audience"
    ISSUER = "issuer"
    EXPIRED = "expired"
    NONCE = "nonce"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - a reason code, not a secret
    NO_CITIZEN_ID = "no_citizen_id"
    UNKNOWN_CITIZEN_ID = "unknown_citizen_id"
    INACTIVE = "inactive"
    NO_ROLE = "no_role"


class OIDCRefused(Exception):
    """A sign-in through the provider that must not go on, and why."""

    def __init__(self, reason: str, *, detail: str = "", user=None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.user = user


@dataclass(frozen=True)
class Identity:
    """What a checked ID token says about the person."""

    claims: dict = field(repr=False)
    id_token: str = field(default="", repr=False)

    @property
    def citizen_id(self) -> str:
        """Return the citizen ID the provider asserts ('' when the claim is missing)."""
        value = self.claims.get(settings.OIDC_CITIZEN_ID_CLAIM, "")
        return value if isinstance(value, str) else ""

    @property
    def strong(self) -> bool:
        """Return whether the provider asserts a strong method (amr) or level (acr) of sign-in."""
        amr = self.claims.get("amr") or []
        if isinstance(amr, str):
            amr = [amr]
        if set(amr) & set(settings.OIDC_STRONG_AMR):
            return True
        return self.claims.get("acr") in set(settings.OIDC_STRONG_ACR)


def oidc_enabled() -> bool:
    """Return whether this deployment offers sign-in through the provider."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


# One client per configuration: it keeps the discovery document and the JWKS between sign-ins.
_clients: dict[tuple, object] = {}


def _client():
    config = (
        settings.OIDC_ISSUER.rstrip("/"),
        settings.OIDC_CLIENT_ID,
        settings.OIDC_CLIENT_SECRET,
        " ".join(settings.OIDC_SCOPES),
        settings.OIDC_TIMEOUT,
    )
    if config not in _clients:
        issuer, client_id, client_secret, scope, timeout = config
        registry = OAuth()
        registry.register(
            name=PROVIDER,
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": scope,
                "code_challenge_method": "S256",
                "default_timeout": timeout,
            },
        )
        _clients.clear()
        _clients[config] = registry.create_client(PROVIDER)
    return _clients[config]


def oidc_authorize_redirect(request: HttpRequest, *, redirect_uri: str) -> HttpResponse:
    """Send the person to the provider, the state, nonce and PKCE verifier kept in the session."""
    try:
        return _client().authorize_redirect(request, redirect_uri)
    except (requests.RequestException, RuntimeError, ValueError, KeyError) as exc:
        raise OIDCRefused(Refusal.UNAVAILABLE, detail=type(exc).__name__) from exc


def oidc_identity(request: HttpRequest) -> Identity:
    """Finish the sign-in the provider sent back: return the checked ID token's identity."""
    claims_options = {
        # The configured issuer, not only the one the discovery document names.
        "iss": {"essential": True, "value": settings.OIDC_ISSUER.rstrip("/")},
        # Authlib alone checks only `azp` against the client: the audience must name us.
        "aud": {"essential": True, "value": settings.OIDC_CLIENT_ID},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    try:
        token = _client().authorize_access_token(
            request, claims_options=claims_options, leeway=settings.OIDC_LEEWAY
        )
    except MismatchingStateError as exc:
        raise OIDCRefused(Refusal.STATE) from exc
    except OAuthError as exc:
        # An error the provider sent back, or one the token endpoint answered.
        reason = Refusal.PROVIDER_ERROR if request.GET.get("error") else Refusal.UNAVAILABLE
        raise OIDCRefused(reason, detail=str(exc.error or "")[:60]) from exc
    except (BadSignatureError, InvalidKeyIdError) as exc:
        raise OIDCRefused(Refusal.SIGNATURE) from exc
    except ExpiredTokenError as exc:
        raise OIDCRefused(Refusal.EXPIRED) from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        by_claim = {
            "aud": Refusal.AUDIENCE,
            "azp": Refusal.AUDIENCE,
            "iss": Refusal.ISSUER,
            "nonce": Refusal.NONCE,
        }
        raise OIDCRefused(by_claim.get(exc.claim, Refusal.INVALID_TOKEN), detail=exc.claim) from exc
    except JoseError as exc:
        raise OIDCRefused(Refusal.INVALID_TOKEN, detail=type(exc).__name__) from exc
    except (requests.RequestException, RuntimeError, ValueError, KeyError) as exc:
        raise OIDCRefused(Refusal.UNAVAILABLE, detail=type(exc).__name__) from exc
    if not token.get("userinfo"):
        # No ID token (or no nonce kept for it): nothing was proved about the person.
        raise OIDCRefused(Refusal.INVALID_TOKEN, detail="id_token")
    return Identity(claims=dict(token["userinfo"]), id_token=token.get("id_token", ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") else ""


def oidc_logout_origins() -> list[str]:
    """Return the origins a sign-out form may send the browser on to (the page's CSP form-action
    must name them: browsers hold a form's redirects to it): the issuer's, and that of the
    end_session_endpoint once this worker has read the discovery document."""
    if not (settings.OIDC_LOGOUT_AT_PROVIDER and oidc_enabled()):
        return []
    endpoint = _client().server_metadata.get("end_session_endpoint", "")
    origins = [
        _origin(settings.OIDC_ISSUER),
        _origin(endpoint if isinstance(endpoint, str) else ""),
    ]
    return sorted({origin for origin in origins if origin})


def oidc_end_session_url(*, id_token: str, post_logout_redirect_uri: str) -> str:
    """Return where to send the browser to sign out at the provider too ('' for a local sign-out
    only: turned off, no ID token kept, or a provider without an end_session_endpoint)."""
    if not (settings.OIDC_LOGOUT_AT_PROVIDER and id_token and oidc_enabled()):
        return ""
    try:
        endpoint = _client().load_server_metadata().get("end_session_endpoint", "")
    except (requests.RequestException, RuntimeError, ValueError, KeyError):
        # The provider is unreachable: OpenDMC's own session is over all the same.
        return ""
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http"):
        return ""
    parts = urlsplit(endpoint)
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": settings.OIDC_CLIENT_ID,
        }
    )
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))
