import sys

from django.core.management.base import BaseCommand, CommandError

from audit import chain
from claims.models import Claim


class Command(BaseCommand):
    help = (
        "Recompute the hash chains (R-AUD-1) and the daily roots from the rows as they are now; "
        "print every row that no longer matches and exit 1 if any does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claim", help="Only this claim's chain (its claim id, e.g. CL0123…).")

    def handle(self, *args, claim=None, **options):
        claim_pk = None
        if claim:
            claim_pk = Claim.objects.filter(claim_id=claim).values_list("pk", flat=True).first()
            if claim_pk is None:
                raise CommandError(f"No claim {claim}.")
        report = chain.verify(claim_pk)
        for problem in report.problems:
            self.stdout.write(str(problem))
        summary = f"{report.chains} chains, {report.rows} rows, {report.roots} daily roots checked"
        if report.problems:
            self.stderr.write(f"{summary}: {len(report.problems)} do not match.")
            sys.exit(1)
        self.stdout.write(f"{summary}: all match.")
