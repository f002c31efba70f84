"""Log in, log out, register, own profile and password, and password reset by mailed link.

Login is rate limited per account and per address, password reset requests per address.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from helpdesk.auth.forms import (
    ConfirmRegistrationForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RecoveryCodesForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
    TwoFactorOffForm,
)
from helpdesk.extensions import limiter
from helpdesk.i18n import N_
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts, two_factor
from helpdesk.services.mail.links import mail_link
from helpdesk.web.forms import show_service_error
from helpdesk.web.home import home_url
from helpdesk.web.htmx import is_htmx_request, render_page_or_fragment
from helpdesk.web.security import is_safe_next

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Wrong e-mail or password."
# Each request may send a mail: few per IP address, so the form cannot flood inboxes.
RESET_LIMIT_PER_IP = "5 per hour"
REGISTRATION_SENT = N_(
    "Check your e-mail to finish: we have sent a message to the address you gave. "
    "It tells you how to go on."
)
RESET_SENT = N_("If an account exists for that address, we have sent a link to reset the password.")


def _login_account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _failed_login(response) -> bool:
    """Count only failed attempts: success redirects, a failure re-renders the form."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    scope="login-account",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    methods=["POST"],
    scope="login-ip",
)
def login():
    """Show the login form; on success go to `next` (same site only) or the role's home."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user.role))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(LOGIN_FAILED)
        elif user.has_two_factor or two_factor.is_required(user):
            return two_factor_views.begin(
                user, remember=form.remember.data, next_url=request.args.get("next")
            )
        else:
            accounts.open_login_session(user, request.remote_addr)
            login_user(user, remember=form.remember.data)
            accounts.record_login(user, request.remote_addr)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else home_url(user.role))
    return render_template("auth/login.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session (POST only, with CSRF, so a link elsewhere cannot log you out)."""
    accounts.end_login_session(current_user.get_id())
    logout_user()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT_PER_IP"], methods=["POST"], scope="register-ip"
)
def register():
    """Customer self-registration: a mailed link finishes it (or tells the address's owner).

    The answer is the same whether or not the address has an account, so the form cannot be
    used to find out who is registered."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user.role))
    form = RegistrationForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            accounts.request_registration(
                name=form.name.data,
                company=form.company.data,
                email=form.email.data,
                password=form.password.data,
                phone=form.phone.data or "",
                ip=request.remote_addr,
                confirm_link_for=lambda token: mail_link("auth.register_confirm", token=token),
                reset_link_for=lambda token: mail_link("auth.reset_password", token=token),
                login_url=mail_link("auth.login"),
                secret_key=config["SECRET_KEY"],
                reset_max_age=config["PASSWORD_RESET_MAX_AGE"],
                link_max_age=config["REGISTRATION_LINK_MAX_AGE"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(gettext(REGISTRATION_SENT), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


def _log_in_fresh(user) -> None:
    """Log `user` in on this browser, ending whoever was logged in here before."""
    if current_user.is_authenticated:
        accounts.end_login_session(current_user.get_id())
        logout_user()
    accounts.open_login_session(user, request.remote_addr)
    login_user(user)
    accounts.record_login(user, request.remote_addr)


@bp.route("/register/<token>", methods=["GET", "POST"])
def register_confirm(token: str):
    """Finish a registration through its mailed link: one click creates the account.

    A button, not the visit itself, so a mail scanner that opens links creates nothing."""
    max_age = current_app.config["REGISTRATION_LINK_MAX_AGE"]
    pending = accounts.pending_registration(token, max_age=max_age)
    if pending is None:
        return _reset_page("auth/register_invalid.html", 400)
    email = pending.email
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.confirm_registration(token, max_age=max_age, ip=request.remote_addr)
        except ServiceError as error:
            if error.field == "token":  # used up by a submission that just won the race
                return _reset_page("auth/register_invalid.html", 400)
            form.form_errors.append(error.message)
        else:
            _log_in_fresh(user)
            flash(gettext("Welcome! Your account is ready."), "success")
            return redirect(home_url(user.role))
    return _reset_page("auth/register_confirm.html", form=form, email=email)


def _redirect_after_post(target: str):
    """Post/redirect/get; for htmx a full-page HX-Redirect, so the flash and new state show."""
    if is_htmx_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _two_factor_context(codes_form=None, off_form=None) -> dict:
    user = current_user._get_current_object()
    has_it = user.has_two_factor
    return {
        "two_factor_required": user.is_staff and two_factor.is_required(user),
        "recovery_left": two_factor.unused_recovery_codes(user) if has_it else 0,
        "codes_form": codes_form or RecoveryCodesForm(formdata=None),
        "off_form": off_form or TwoFactorOffForm(formdata=None),
    }


def _profile_page(profile_form: ProfileForm, password_form: PasswordChangeForm, fragment: str):
    user = current_user._get_current_object()
    return render_page_or_fragment(
        "auth/profile.html",
        fragment,
        user=user,
        profile_form=profile_form,
        password_form=password_form,
        **_two_factor_context(),
        **token_views.tokens_context(user),
    )


def profile_page(*, status: int = 200, tokens: dict | None = None, **two_factor_forms):
    """The whole profile page, e.g. with a two-factor form's errors or a token just made."""
    user = current_user._get_current_object()
    return render_template(
        "auth/profile.html",
        user=user,
        profile_form=ProfileForm(obj=user, formdata=None),
        password_form=PasswordChangeForm(formdata=None),
        **_two_factor_context(**two_factor_forms),
        **(tokens if tokens is not None else token_views.tokens_context(user)),
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Edit your own name, phone and time zone; the e-mail and role are shown, not edited."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                user,
                name=form.name.data,
                phone=form.phone.data or "",
                time_zone=form.time_zone.data,
            )
        except ServiceError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(gettext("Your profile is saved."), "success")
            return _redirect_after_post(url_for("auth.profile"))
    return _profile_page(form, PasswordChangeForm(formdata=None), "auth/_profile_form.html")


def _password_change_key() -> str:
    return f"password-change:{getattr(current_user, 'id', None)}"


def _failed_password_change(response) -> bool:
    """A refused change re-renders the form (200); success and anonymous visits redirect."""
    return response.status_code == 200


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_password_change_key,
    methods=["POST"],
    scope="password-change",
)
@login_required
def password_change():
    """Change your password; every other session ends, this one carries on."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        # Keep "remember me" on this browser: its old cookie names the old session version.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        try:
            accounts.change_password(
                user, form.current_password.data, form.new_password.data, ip=request.remote_addr
            )
        except ServiceError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            accounts.open_login_session(user, request.remote_addr)
            login_user(user, remember=remembered in request.cookies)
            flash(
                gettext(
                    "Your password is changed. Other browsers and devices using your account "
                    "have been logged out."
                ),
                "success",
            )
            return _redirect_after_post(url_for("auth.profile"))
    return _profile_page(ProfileForm(obj=user, formdata=None), form, "auth/_password_form.html")


# Endpoints whose limits count only failed attempts, and what a failure looks like. Flask-Limiter's
# `deduct_when` tests the limit before the view and counts after it, so two workers (or
# threads) can both pass at 4 of 5. Instead every attempt is counted up front, one atomic
# increment in the shared storage, and given back once it proves not to be a failure or was
# refused anyway (429).
_FAILURE_OF = {"auth.login": _failed_login, "auth.password_change": _failed_password_change}


@bp.after_request
def _give_back_attempts_that_did_not_fail(response):
    failed = _FAILURE_OF.get(request.endpoint)
    if (
        failed
        and request.method == "POST"
        and (response.status_code == 429 or not failed(response))
    ):
        for counted in limiter.current_limits:
            limiter.limiter.hit(counted.limit, *counted.request_args, cost=-1)
    return response


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT_PER_IP, methods=["POST"], scope="reset-ip")
def reset_request():
    """Ask for a reset link by e-mail; the answer never tells whether the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            form.email.data,
            secret_key=current_app.config["SECRET_KEY"],
            max_age=current_app.config["PASSWORD_RESET_MAX_AGE"],
            link_for=lambda token: mail_link("auth.reset_password", token=token),
        )
        flash(gettext(RESET_SENT), "info")
        return redirect(url_for("auth.reset_request"))
    return render_template("auth/reset_request.html", form=form)


def _reset_page(template: str, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    # The page's address holds a live token: keep it out of caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through a mailed link: once, before it expires."""
    secret_key = current_app.config["SECRET_KEY"]
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    user = accounts.user_for_reset_token(token, secret_key, max_age)
    if user is None:
        return _reset_page("auth/reset_invalid.html", 400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(
                token,
                form.password.data,
                secret_key=secret_key,
                max_age=max_age,
                ip=request.remote_addr,
            )
        except ServiceError as error:
            if error.field == "token":  # used up by a submission that just won the race
                return _reset_page("auth/reset_invalid.html", 400)
            form.password.errors.append(error.message)
        else:
            if current_user.is_authenticated:
                accounts.end_login_session(current_user.get_id())
                logout_user()  # whoever was logged in here, the next step is a fresh login
            flash(gettext("Your password is set. Log in with your new password."), "success")
            return redirect(url_for("auth.login"))
    return _reset_page("auth/reset_password.html", form=form, user=user)


from helpdesk.auth import token_views, two_factor_views  # noqa: E402  (their routes on bp)
