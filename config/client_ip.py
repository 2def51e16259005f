"""The address a request came from, as the login rate limit (django-axes) keys it.

Behind the documented nginx (deploy/nginx-opendmc.conf) every request reaches gunicorn from
127.0.0.1, so REMOTE_ADDR alone would put every user behind one address: five wrong passwords from
anywhere would lock the real user out. nginx appends the address it saw to X-Forwarded-For
($proxy_add_x_forwarded_for); whatever a client sent in that header comes before it. With
TRUSTED_PROXY_COUNT proxies in front, the client is the entry that many places from the right;
everything left of it is the client's own word. Without a proxy (the count is 0) the header is
never read, so a forged one changes nothing.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address: from X-Forwarded-For as set by the trusted proxies, else
    REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:  # not through the proxies (a direct request): the socket's address
        return remote
    return _address(hops[-count]) or remote
