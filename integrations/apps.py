from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        # drf-spectacular finds the token scheme through this extension's registration.
        from .api import schema  # noqa: F401
        from .models import ApiClient
        from .webhooks import forget_subscribers

        post_save.connect(forget_subscribers, sender=ApiClient, dispatch_uid="webhook-subscribers")
        post_delete.connect(forget_subscribers, sender=ApiClient, dispatch_uid="webhook-subscribers-deleted")
