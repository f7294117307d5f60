"""``manage.py revoke_token TOKEN``: stop a token from working."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.tokens import token_revoke


class Command(BaseCommand):
    help = "Revoke an API token; it is refused from then on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token")

    def handle(self, *args: object, token: str, **options: object) -> None:
        if not token_revoke(raw=token.strip()):
            raise CommandError("no live token matches (unknown, or revoked already)")
        self.stdout.write("Token revoked.")
