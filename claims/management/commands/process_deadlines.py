from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from claims.services import process_deadlines


def parse_now(value):
    if value is None:
        return None
    moment = parse_datetime(value)
    if moment is None or moment.tzinfo is None:
        raise CommandError("--now must be an ISO 8601 time with an offset, e.g. 2026-11-21T10:00:00+08:00")
    return moment


class Command(BaseCommand):
    help = "Run every due timer (SLA flags, timeouts, auto-confirmation, overdue refunds, expiry, late invoices)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 time instead of the current time.")

    def handle(self, *args, now=None, **options):
        counts = process_deadlines(parse_now(now))
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
