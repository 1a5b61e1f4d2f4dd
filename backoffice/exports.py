"""The admin's CSV export: a bulk action writing the selected rows through the one CSV writer."""

from django.utils.translation import gettext_lazy as _

from kernel.csv import STAFF, Column, columns_for, export
from kernel.replica import for_report

from .actions import confirmed_bulk_action


def export_action(name, columns: list[Column]):
    """A bulk action exporting the selected rows in the staff's share of a list's `columns`."""
    shown = columns_for(columns, STAFF)

    def perform(modeladmin, request, queryset, data):
        # Streamed after the view returns: the replica is chosen now, on the queryset (kernel.replica).
        return export(name, shown, for_report(queryset).iterator(chunk_size=500))

    return confirmed_bulk_action(
        "export_csv", description=_("Export selected as CSV"), permission="view", perform=perform
    )
