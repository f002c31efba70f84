"""Two-factor login: the code after the password, setting up an authenticator app, recovery
codes, and turning it off (issue 19 item 7).

Between the password and the code nobody is logged in: the session only remembers who typed
the right password, for a few minutes. Attempts at the code are limited like passwords.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, login_user

from helpdesk.auth.forms import (
    RecoveryCodesForm,
    TwoFactorForm,
    TwoFactorOffForm,
    TwoFactorSetupForm,
)
from helpdesk.auth.views import _FAILURE_OF, bp, profile_page
from helpdesk.clock import clock
from helpdesk.extensions import db, limiter
from helpdesk.models import User
from helpdesk.rules import two_factor as rules
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts, two_factor
from helpdesk.web.home import home_url
from helpdesk.web.security import is_safe_next

PENDING = "two_factor_pending"  # the session's note of a password typed right


def begin(user: User, *, remember: bool, next_url: str | None):
    """After the right password of a user with (or due to set up) a second factor."""
    session[PENDING] = {
        "user": user.id,
        "version": user.session_version,
        "remember": bool(remember),
        "next": next_url if is_safe_next(next_url) else None,
        "at": clock().time(),
    }
    return redirect(
        url_for("auth.two_factor_code" if user.has_two_factor else "auth.two_factor_setup")
    )


def _pending_user() -> User | None:
    """Who typed the right password here a moment ago (None: nobody, or too long ago)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    max_age = current_app.config["TWO_FACTOR_PENDING_SECONDS"]
    user = db.session.get(User, pending["user"])
    if (
        rules.pending_expired(float(pending.get("at", 0)), clock().time(), max_age)
        or user is None
        or not user.active
        or user.session_version != pending.get("version")
    ):
        session.pop(PENDING, None)
        return None
    return user


def _pending_key() -> str:
    pending = session.get(PENDING)
    return f"two-factor:{pending.get('user') if isinstance(pending, dict) else None}"


def _user_key() -> str:
    return f"two-factor-user:{getattr(current_user, 'id', None)}"


def _log_in(user: User) -> str:
    """Finish the login the password began; where to go next."""
    pending = session.pop(PENDING, None) or {}
    accounts.open_login_session(user, request.remote_addr)
    login_user(user, remember=bool(pending.get("remember")))
    accounts.record_login(user, request.remote_addr)
    target = pending.get("next")
    return target if is_safe_next(target) else home_url(user.role)


def _with_code(action, user: User, form):
    """`action` with the typed code at the app's time; None, with the error on the form, when
    the code was refused."""
    try:
        return action(user, form.code.data, now=clock().time(), ip=request.remote_addr)
    except ServiceError as error:
        form.code.errors.append(error.message)
        return None


def _no_store(body, status: int = 200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # a key or recovery codes on the page
    return response


def _start_again():
    flash(gettext("Log in again: the step after the password took too long."), "info")
    return redirect(url_for("auth.login"))


def _attempts() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]  # as many tries as for a password


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(_attempts, key_func=_pending_key, methods=["POST"], scope="two-factor")
def two_factor_code():
    """The second step of a login: a code from the app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user.role))
    user = _pending_user()
    if user is None:
        return _start_again()
    if not user.has_two_factor:
        return redirect(url_for("auth.two_factor_setup"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        kind = _with_code(two_factor.verify, user, form)
        if kind is not None:
            if kind == "recovery code":
                left = two_factor.unused_recovery_codes(user)
                flash(
                    gettext(
                        "You logged in with a recovery code; %(left)d left. Make new ones on "
                        "your profile, and set up your app again if you lost it.",
                        left=left,
                    ),
                    "warning",
                )
            return redirect(_log_in(user))
    return _no_store(
        render_template("auth/two_factor.html", form=form, user=user), 422 if form.errors else 200
    )


def _setup_user() -> tuple[User | None, bool]:
    """Who is setting up an app, and whether they are logged in already (from the profile)."""
    if current_user.is_authenticated:
        if not current_user.is_staff:
            abort(404)  # customers log in with their password alone
        return current_user._get_current_object(), True
    return _pending_user(), False


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@limiter.limit(_attempts, key_func=_pending_key, methods=["POST"], scope="2fa-setup")
def two_factor_setup():
    """Add an authenticator app: scan the QR code (or type the key), then type its code."""
    user, logged_in = _setup_user()
    if user is None:
        return _start_again()
    if user.has_two_factor:
        return redirect(url_for("auth.profile" if logged_in else "auth.two_factor_code"))
    form = TwoFactorSetupForm()
    key = two_factor.setup_key(user)
    if form.validate_on_submit():
        codes = _with_code(two_factor.confirm_setup, user, form)
        if codes is not None:
            return _show_codes(user, codes, logged_in, first=True)
    uri = two_factor.setup_uri(user, key, current_app.config["TWO_FACTOR_ISSUER"])
    return _no_store(
        render_template(
            "auth/two_factor_setup.html",
            form=form,
            user=user,
            qr=two_factor.qr_svg(uri),
            key=two_factor.grouped_key(key),
            required=two_factor.is_required(user),
            logged_in=logged_in,
        ),
        422 if form.errors else 200,
    )


def _show_codes(user: User, codes: list[str], logged_in: bool, *, first: bool):
    """The recovery codes, once. Turning it on ended the user's other logins: this browser
    logs in again (or for the first time, at the end of a login)."""
    if logged_in:
        accounts.open_login_session(user, request.remote_addr)
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        login_user(user, remember=remembered in request.cookies)
        then = url_for("auth.profile")
    else:
        then = _log_in(user)
    return _no_store(
        render_template("auth/recovery_codes.html", codes=codes, then=then, first=first)
    )


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@limiter.limit(_attempts, key_func=_user_key, methods=["POST"], scope="2fa-codes")
@login_required
def two_factor_recovery_codes():
    """New recovery codes; the old ones stop working."""
    user = current_user._get_current_object()
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        codes = _with_code(two_factor.new_recovery_codes, user, form)
        if codes is not None:
            return _no_store(
                render_template("auth/recovery_codes.html", codes=codes, then=None, first=False)
            )
    return profile_page(codes_form=form, status=422)


@bp.route("/two-factor/off", methods=["POST"])
@limiter.limit(_attempts, key_func=_user_key, methods=["POST"], scope="2fa-off")
@login_required
def two_factor_off():
    """Turn your own two-factor login off, with your password (not when your role needs it)."""
    user = current_user._get_current_object()
    form = TwoFactorOffForm()
    if form.validate_on_submit():
        try:
            two_factor.turn_off(
                user,
                form.password.data,
                is_required=two_factor.is_required(user),
                ip=request.remote_addr,
            )
        except ServiceError as error:
            form.password.errors.append(error.message)
        else:
            flash(gettext("Two-factor login is off. You log in with your password alone."), "info")
            return redirect(url_for("auth.profile"))
    return profile_page(off_form=form, status=422)


def _refused_form_again(response) -> bool:
    """A wrong code re-renders its form with 422; success redirects or shows the codes."""
    return response.status_code == 422


for _endpoint in (
    "auth.two_factor_code",
    "auth.two_factor_setup",
    "auth.two_factor_recovery_codes",
    "auth.two_factor_off",
):
    _FAILURE_OF[_endpoint] = _refused_form_again
