"""Log in, log out and register; login is rate limited per account and per address."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from helpdesk.auth.forms import LoginForm, RegistrationForm
from helpdesk.extensions import limiter
from helpdesk.services import ServiceError, accounts
from helpdesk.web.home import home_url
from helpdesk.web.security import is_safe_next

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Wrong e-mail or password."


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
    deduct_when=_failed_login,
    scope="login-account",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    methods=["POST"],
    deduct_when=_failed_login,
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
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user, request.remote_addr)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else home_url(user.role))
    return render_template("auth/login.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session (POST only, with CSRF, so a link elsewhere cannot log you out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT_PER_IP"], methods=["POST"], scope="register-ip"
)
def register():
    """Customer self-registration: a new organisation and its first login."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user.role))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_customer(
                name=form.name.data,
                company=form.company.data,
                email=form.email.data,
                password=form.password.data,
                phone=form.phone.data or "",
                ip=request.remote_addr,
            )
        except ServiceError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            login_user(user)
            accounts.record_login(user, request.remote_addr)
            flash("Welcome! Your account is ready.", "success")
            return redirect(home_url(user.role))
    return render_template("auth/register.html", form=form)
