from django.core.management.base import BaseCommand

from claims.management.commands.process_deadlines import parse_now
from pricing.services import recompute_rates


class Command(BaseCommand):
    help = "Reprice every active enrolment without a supervisor override from its shop's record (R-RATE-1)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Reprice as of this ISO 8601 time instead of the current time.")

    def handle(self, *args, now=None, **options):
        results = recompute_rates(parse_now(now))
        for enrolment, row in results:
            self.stdout.write(f"{enrolment.shop.shop_id:<20} {enrolment.plan.code:<16} {row.rate}")
        self.stdout.write(f"repriced: {len(results)}")
