from django.core.management.base import BaseCommand, CommandError

from kernel.errors import DomainError
from reports.periods import Period
from reports.services import make_bordereaux


class Command(BaseCommand):
    help = (
        "Make each insurer's premium and claims bordereaux of a closed month (R-BDX-1). "
        "A month whose lines have not changed gets nothing new; a changed month gets a new version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="The month, YYYY-MM (Asia/Shanghai); default: the month just closed.")

    def handle(self, *args, period=None, **options):
        try:
            made = make_bordereaux(Period.parse(period) if period is not None else None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for bordereau in made:
            replaces = f" (replaces v{bordereau.version - 1})" if bordereau.replaces_id else ""
            self.stdout.write(
                f"{bordereau.insurer.code:<20} {bordereau.period} {bordereau.kind:<8} v{bordereau.version}{replaces} "
                f"lines={bordereau.lines}"
            )
        self.stdout.write(f"bordereaux made: {len(made)}")
