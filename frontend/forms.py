"""The shopper sign-up form."""

from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.forms import EmailField


class SignUpForm(UserCreationForm):
    """A username, an optional email address and a password typed twice."""

    email = EmailField(
        required=False,
        help_text="Optional. Only used to reach you about your account.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")
