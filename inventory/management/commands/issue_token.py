"""``manage.py issue_token USERNAME [--create]``: print a new API token as the last line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.tokens import token_issue


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it as the last line (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--create",
            action="store_true",
            help="first create a plain user (no staff rights, no password) of that name",
        )

    def handle(self, *args: object, username: str, create: bool, **options: object) -> None:
        users = get_user_model()
        user = users.objects.filter(**{users.USERNAME_FIELD: username}).first()
        if user is None:
            if not create:
                raise CommandError(f"no user is called {username!r} (use --create to make one)")
            user = users.objects.create_user(**{users.USERNAME_FIELD: username})
            self.stdout.write(f"Created user {username!r} (no staff rights, no password).")
        token = token_issue(user=user)
        self.stdout.write(f"Token for {username!r}; it is not stored and will not be shown again:")
        self.stdout.write(token)
