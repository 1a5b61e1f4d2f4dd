"""OpenAPI pieces drf-spectacular cannot guess: the token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'The client\'s key as "Token <key>" (python manage.py issue_api_token).',
        }


def contract_paths(endpoints):
    """The integration API only, with its paths written as api.md writes them (no trailing
    slash; both forms are served)."""
    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/v1/")
    ]
