import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kernel.errors import DomainError
from payments.services.reconciliation import reconcile_day, yesterday


def _day(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--day must be YYYY-MM-DD, not %(value)r") % {"value": value}) from exc


class Command(BaseCommand):
    help = _("Match a day's Alipay bill against the transfers recorded here (R-PAY-7); default: yesterday.")

    def add_arguments(self, parser):
        parser.add_argument("--day", type=_day, default=None, help=_("The Shanghai day, YYYY-MM-DD."))

    def handle(self, *args, day, **options):
        try:
            record = reconcile_day(day or yesterday())
        except DomainError as error:
            raise CommandError(error.message) from error
        if record.problem:
            raise CommandError(record.problem)
        self.stdout.write(
            _("%(day)s: %(lines)s bill lines, %(matched)s matched, %(open)s mismatches open, %(bad)s unreadable lines.")
            % {
                "day": record.day,
                "lines": record.bill_lines,
                "matched": record.matched,
                "open": record.mismatches.filter(resolved_at__isnull=True).count(),
                "bad": len(record.unreadable_lines),
            }
        )
        for line in record.unreadable_lines:
            self.stdout.write(_("  line %(line)s unreadable (%(problem)s): %(text)s") % line)
        self.stdout.write(_("Reconciled.") if record.reconciled_at else _("Not reconciled."))
