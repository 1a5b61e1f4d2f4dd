from django.utils.translation import gettext_lazy as _

from kernel.actors import Role

TRANSITIONS = {
    "record_orders": (_("Record orders"), {Role.PLATFORM}),
    "record_events": (_("Record order events"), {Role.PLATFORM}),
    "request_invoice": (_("Request invoice"), {Role.MERCHANT}),
    "issue_invoice": (_("Issue invoice"), {Role.SUPERVISOR, Role.INSURER}),
    "ship_invoice": (_("Ship invoice"), {Role.SUPERVISOR, Role.INSURER}),
    "refuse_invoice": (_("Refuse invoice"), {Role.SUPERVISOR, Role.INSURER}),
}
