"""Who may move an enrolment, and with what label (domain.md §3). One table, read by every interface."""

from django.utils.translation import gettext_lazy as _

from kernel.actors import Role

TRANSITIONS = {
    "invite": (_("Invite"), {Role.SERVICE_STAFF}),
    "apply": (_("Apply"), {Role.MERCHANT}),
    "approve": (_("Approve"), {Role.SUPERVISOR, Role.INSURER}),
    "reject": (_("Reject"), {Role.SUPERVISOR, Role.INSURER}),
    "request_exit": (_("File exit"), {Role.SERVICE_STAFF}),
    "complete_exit": (_("Complete exit"), {Role.SERVICE_STAFF}),
    "override_rate": (_("Override rate"), {Role.SUPERVISOR}),
    "lift_override": (_("Lift rate override"), {Role.SUPERVISOR}),
    "edit_shop": (_("Edit shop details"), {Role.MERCHANT, Role.SERVICE_STAFF}),
}
