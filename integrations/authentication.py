"""Who is calling (api.md Conventions): a token names an integration client; its role decides
what it may do, its insurer or shop what it may see."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions, throttling

from .models import ApiClient, hash_key


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; the key is compared by its SHA-256 digest."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the header as: Authorization: Token <key>."))
        try:
            key = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        client = ApiClient.objects.select_related("insurer", "shop").filter(key_hash=hash_key(key), active=True).first()
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return client, client

    def authenticate_header(self, request):
        return self.keyword


class IsApiClient(permissions.BasePermission):
    """Every endpoint needs a client; a view narrows the roles per method with `roles`
    ({"POST": {...}}). The role is checked before the object is looked up, so an action that is
    not the role's is a 403 wherever the object lies (api.md Conventions)."""

    message = _("Your client's role may not do this.")

    def has_permission(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated()
        allowed = getattr(view, "roles", {}).get(request.method)
        return allowed is None or client.role in allowed


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """A budget per client (429 with Retry-After when spent); one bulk call counts once."""

    scope = "client"

    def get_rate(self):
        return settings.ZHIBAO_API_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
