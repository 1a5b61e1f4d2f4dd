"""/healthz and /readyz, answered before any other middleware.

Load balancers probe by the instance's address, which is not in ALLOWED_HOSTS, and over plain
HTTP, which production redirects: answering here, ahead of host validation, the HTTPS redirect,
sessions and the login throttle, keeps probes out of all of them (and out of the audit trail)."""

from django.http import JsonResponse

from . import probes

HEALTH = "/healthz"
READY = "/readyz"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == HEALTH:
            return _no_store(JsonResponse({"status": "ok"}))
        if path == READY:
            checks = probes.readiness()
            ready = all(result == "ok" for result in checks.values())
            body = {"status": "ok" if ready else "unavailable", "checks": checks}
            return _no_store(JsonResponse(body, status=200 if ready else 503))
        return self.get_response(request)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response
