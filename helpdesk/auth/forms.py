"""Login, registration, profile and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from helpdesk.i18n import business_zone_name
from helpdesk.rules import api_tokens as token_rules
from helpdesk.rules.passwords import MAX_LENGTH
from helpdesk.rules.two_factor import CODE_MAX
from helpdesk.services.accounts.accounts import NAME_MAX_LENGTH, PHONE_MAX_LENGTH, time_zone_choices

PASSWORDS_DIFFER = "The passwords do not match."
# Lets password managers offer to generate and save the new password.
NEW_PASSWORD_KW = {"autocomplete": "new-password"}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me logged in on this computer"))


class RegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    company = StringField(_l("Company"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=PASSWORDS_DIFFER)],
    )


class ConfirmRegistrationForm(FlaskForm):
    """Only the CSRF token: the mailed link's button that creates the account."""


def _known_time_zone(_form: FlaskForm, field: SelectField) -> None:
    if field.data and field.data not in time_zone_choices():
        raise ValidationError("Choose a time zone from the list.")


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Phone"),
        validators=[Optional(), Length(max=PHONE_MAX_LENGTH)],
        render_kw={"autocomplete": "tel"},
    )
    # validate_choice=False: our own validator gives a clearer message than "Not a valid choice".
    time_zone = SelectField(_l("Time zone"), validators=[_known_time_zone], validate_choice=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The empty choice follows the business time zone, so an administrator's change reaches
        # everyone who never picked a zone of their own.
        business = _l("The business time zone (%(zone)s)", zone=business_zone_name())
        self.time_zone.choices = [("", business), *((zone, zone) for zone in time_zone_choices())]
        self.time_zone.data = self.time_zone.data or ""  # a profile without a zone: that choice


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw=NEW_PASSWORD_KW
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", message=PASSWORDS_DIFFER)],
        render_kw=NEW_PASSWORD_KW,
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw=NEW_PASSWORD_KW
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=PASSWORDS_DIFFER)],
        render_kw=NEW_PASSWORD_KW,
    )


# -- two-factor login --
ONE_TIME_CODE_KW = {"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}


class TwoFactorForm(FlaskForm):
    """The second step of a login: the app's code, or one of the recovery codes."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Type the code.")), Length(max=CODE_MAX)],
        render_kw=ONE_TIME_CODE_KW,
        description=_l("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )


class TwoFactorSetupForm(FlaskForm):
    """The first code of a newly added authenticator, which proves it works."""

    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Type the 6 digits the app shows.")), Length(max=CODE_MAX)],
        render_kw={**ONE_TIME_CODE_KW, "inputmode": "numeric"},
    )


class TwoFactorOffForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )


class RecoveryCodesForm(FlaskForm):
    """New recovery codes, after a current code."""

    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Type the code.")), Length(max=CODE_MAX)],
        render_kw=ONE_TIME_CODE_KW,
    )


# -- API tokens --
class ApiTokenForm(FlaskForm):
    """A new personal access token: what it is for, what it may do, how long it lasts.

    Names, scopes and expiry are checked by services.accounts.api_tokens (one set of rules and
    messages); the scopes offered are those the owner's role may grant (`for_user`)."""

    name = StringField(
        _l("Name"),
        render_kw={"maxlength": token_rules.NAME_MAX, "autocomplete": "off"},
        description=_l("What will use it, e.g. “Shop” or “Chat widget”."),
    )
    scopes = SelectMultipleField(
        _l("What it may do"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the service names a scope this account cannot give
    )
    expires_in_days = SelectField(
        _l("Expires after"),
        choices=[
            SelectChoice(str(days), _l("%(days)d days", days=days))
            for days in token_rules.EXPIRY_DAYS
        ],
        default=str(token_rules.DEFAULT_EXPIRY_DAYS),
        validate_choice=False,  # the service says "Choose when the token expires."
    )

    def __init__(self, *args, **kwargs) -> None:
        # Its fields sit on the profile page beside the profile form's own "name".
        kwargs.setdefault("prefix", "token")
        super().__init__(*args, **kwargs)

    def for_user(self, role: str, billing_permission: bool) -> ApiTokenForm:
        """Offer only the scopes this login may put on a token, described."""
        grantable = token_rules.grantable(role, billing_permission)
        self.scopes.choices = [
            SelectChoice(code, token_rules.SCOPES[code]) for code in token_rules.ordered(grantable)
        ]
        return self

    def expiry_days(self) -> int:
        """The chosen expiry in days, or 0 for anything that is not one of the choices."""
        chosen = self.expires_in_days.data
        offered = {str(days): days for days in token_rules.EXPIRY_DAYS}
        return offered.get(chosen if isinstance(chosen, str) else "", 0)


class ApiTokenRevokeForm(FlaskForm):
    """Only the CSRF token: the Revoke button beside a token."""
