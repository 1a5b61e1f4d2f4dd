from django.core.management.base import BaseCommand

from pricing.simulation import simulate


class Command(BaseCommand):
    help = "Simulate shops of different quality trading through the services and show how their rates move."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--shops", type=int, default=2, help="Shops per quality level.")
        parser.add_argument("--orders-per-day", type=int, default=15)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--keep", action="store_true", help="Keep the simulated data (default: roll back).")

    def handle(self, *args, days, shops, orders_per_day, seed, keep, **options):
        self.stdout.write(f"{'day':>4} {'shop':<16} {'quality':<10} {'rate':>7} {'claims':>6} {'loss':>6} {'fast':>5}")

        def show(snapshot):
            for row in snapshot["rows"]:
                loss = "-" if row["loss_ratio"] is None else str(row["loss_ratio"])
                fast = "-" if row["fast_lane_share"] is None else f"{row['fast_lane_share']:.2f}"
                self.stdout.write(
                    f"{snapshot['day']:>4} {row['shop']:<16} {row['quality']:<10} {row['rate']!s:>7} "
                    f"{row['claims']:>6} {loss:>6} {fast:>5}"
                )

        simulate(days=days, shops_per_quality=shops, orders_per_day=orders_per_day, seed=seed, keep=keep, report=show)
