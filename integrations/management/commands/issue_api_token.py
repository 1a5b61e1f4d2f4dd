from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from integrations.models import ClientRole
from integrations.services import issue_client
from kernel.errors import DomainError


class Command(BaseCommand):
    help = "Create an integration client and print its API key alone on the last line (api.md)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--role", choices=ClientRole.values, default=ClientRole.PLATFORM)
        parser.add_argument("--insurer", help="The insurer's code, for --role insurer.")
        parser.add_argument("--shop", help="The shop's id, for --role merchant.")
        parser.add_argument("--webhook-url", default="", help="Where to POST the client's webhook events.")

    def handle(self, *args, name, role, insurer=None, shop=None, webhook_url="", **options):
        if webhook_url:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
            except ValidationError as exc:
                raise CommandError(f"--webhook-url is not an http(s) URL: {webhook_url}") from exc
        try:
            client, key = issue_client(name, role=role, insurer_code=insurer, shop_id=shop, webhook_url=webhook_url)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Client {client.pk} {client.name!r}: role {client.role}")
        if client.webhook_url:
            self.stdout.write(f"Webhook URL: {client.webhook_url}")
            self.stdout.write(f"Webhook signing secret: {client.webhook_secret}")
        self.stdout.write("API key (shown once; send it as 'Authorization: Token <key>'):")
        self.stdout.write(key)
