from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from payments.gateway.keys import keys_path
from payments.gateway.server import StandInGateway


class Command(BaseCommand):
    help = _("Serve the local stand-in of Alipay's gateway (R-PAY-6): transfers, queries, daily bills.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PAYMENT_GATEWAY_PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--slow-seconds",
            type=float,
            default=settings.ALIPAY_TIMEOUT + 5,
            help=_("How long a '-timeout' payee's answer takes (longer than the client waits)."),
        )

    def handle(self, *args, port, host, slow_seconds, **options):
        gateway = StandInGateway(
            host=host,
            port=port,
            app_id=settings.ALIPAY_APP_ID,
            state_path=keys_path().with_name("orders.jsonl"),
            slow_seconds=slow_seconds,
            verbose=options["verbosity"] > 1,
        )
        self.stdout.write(
            _("Payment gateway stand-in on %(url)s (keys: %(keys)s)") % {"url": gateway.url, "keys": keys_path()}
        )
        try:
            gateway.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.server.server_close()
