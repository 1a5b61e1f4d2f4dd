from django.core.management.base import BaseCommand

from claims.demo import seed


class Command(BaseCommand):
    help = "Load the demo world (idempotent): insurer, plan, shops, users of every role, orders, claims in every state."

    def handle(self, *args, **options):
        report = seed()
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
        self.stdout.write("Claims by state: " + ", ".join(f"{k}={v}" for k, v in sorted(report["states"].items())))
        self.stdout.write("Logins (username / password):")
        for username, password, where in report["logins"]:
            self.stdout.write(f"  {username:<12} {password:<18} {where}")
