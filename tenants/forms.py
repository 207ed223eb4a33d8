from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from tenants.selectors import membership_for_user


class TenantAuthenticationForm(AuthenticationForm):
    """Sign-in on a tenant's subdomain: only its active members get in.

    A non-member gets the same message as a wrong password, so the form reveals nothing
    about who belongs to which company.
    """

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if getattr(self.request, "tenant", None) is None or membership_for_user(user=user) is None:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
