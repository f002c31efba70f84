"""The system manager (seed 002): customer search and profiles, and the FRAUD-STOP lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from wtforms.fields.choices import SelectChoice

from helpdesk.extensions import db
from helpdesk.models import Organisation, Role
from helpdesk.rules.numbers import parse_int
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts, customer_accounts, customers
from helpdesk.services.fraud import fraud
from helpdesk.services.mail.links import mail_link
from helpdesk.system.forms import (
    BlockCardForm,
    BlockIPForm,
    CustomerEditForm,
    FraudStopForm,
    OpenAccountForm,
    ResetLinkForm,
    UnblockForm,
)
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import is_htmx_request, render_page_or_fragment
from helpdesk.web.paging import page_of
from helpdesk.web.params import arg_page, form_id_or_400

bp = Blueprint("system", __name__)
gate_blueprint(bp, Role.BILLING, Role.ADMIN)

STAFF = (Role.BILLING, Role.ADMIN)
LIST_PER_PAGE = 10
ACCOUNT_PREFIX = "account"  # the new-login form shares the profile page with other forms


@dataclass(frozen=True)
class PagedList:
    """A list on a page with several: its own `<name>_page` parameter and fragment."""

    query: Callable[..., sa.Select]
    template: str
    per_page: int = LIST_PER_PAGE


CUSTOMER_LISTS = {
    "invoices": PagedList(customers.invoices_query, "system/_customer_invoices.html"),
    "mail": PagedList(customers.outbox_query, "system/_customer_mail.html"),
    "history": PagedList(customers.history_query, "system/_customer_history.html"),
}
FRAUD_LISTS = {
    "ips": PagedList(fraud.blocked_ips_query, "system/_fraud_ips.html", 25),
    "cards": PagedList(fraud.blocked_cards_query, "system/_fraud_cards.html", 25),
    "attempts": PagedList(fraud.attempts_query, "system/_fraud_attempts.html", 25),
}


def _page_number(name: str) -> int:
    return arg_page(name)


def _paginate(spec: PagedList, page: int, *args) -> Pagination:
    """One LIMIT/OFFSET query and one count, in the database."""
    return db.paginate(
        spec.query(*args), page=page, per_page=spec.per_page, error_out=False, max_per_page=100
    )


def _pages(lists: dict[str, PagedList], *args) -> dict[str, Pagination]:
    return {
        name: _paginate(spec, _page_number(f"{name}_page"), *args) for name, spec in lists.items()
    }


def _redirect_after_post(target: str):
    """Post/redirect/get; for htmx a full-page HX-Redirect, so the flash and new state show."""
    if is_htmx_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _organisation_or_404(organisation_id: int) -> Organisation:
    """The one guard for customers here: billing and admin may see every organisation."""
    return db.get_or_404(Organisation, organisation_id)


def _actor():
    return current_user._get_current_object()


# --- search -----------------------------------------------------------------------------------


@bp.route("/")
@role_required(*STAFF)
def home():
    """Search customers by any field (seed 002: "from last name to the credit card used")."""
    q = customers.clean_query(request.args.get("q"))
    page = page_of(customers.search_query(q))
    return render_page_or_fragment(
        "system/home.html",
        "system/_customer_table.html",
        page=page,
        q=q,
        resellers=customers.organisation_names(o.reseller_id for o in page.items),
    )


# --- customer profile -------------------------------------------------------------------------


def _reset_form(organisation_id: int) -> ResetLinkForm:
    form = ResetLinkForm()
    form.user_id.choices = [
        SelectChoice(u.id, f"{u.name} <{u.email}>")
        for u in customers.customer_logins(organisation_id)
    ]
    return form


def _customer_page(
    organisation: Organisation, *, fraud_form=None, reset_form=None, account_form=None, status=200
):
    context = {
        "organisation": organisation,
        "profile": customers.profile(organisation),
        "lists": _pages(CUSTOMER_LISTS, organisation.id),
        "fraud_form": fraud_form or FraudStopForm(formdata=None),
        "reset_form": reset_form or _reset_form(organisation.id),
        "account_form": account_form or OpenAccountForm(formdata=None, prefix=ACCOUNT_PREFIX),
    }
    return render_template("system/customer.html", **context), status


@bp.route("/customers/<int:organisation_id>")
@role_required(*STAFF)
def customer(organisation_id: int):
    """A customer's profile: IDs, cards (masked), balance, logins, invoices, outbox, services."""
    organisation = _organisation_or_404(organisation_id)
    return _customer_page(organisation)


@bp.route("/customers/<int:organisation_id>/list/<name>")
@role_required(*STAFF)
def customer_list(organisation_id: int, name: str):
    """One page of a profile's invoices, mail or change log (htmx); else the whole profile."""
    spec = CUSTOMER_LISTS.get(name) or abort(404)
    organisation = _organisation_or_404(organisation_id)
    page = _page_number("page")
    if not is_htmx_request():
        return redirect(
            url_for("system.customer", organisation_id=organisation.id, **{f"{name}_page": page})
        )
    response = make_response(
        render_template(
            spec.template,
            organisation=organisation,
            lists={name: _paginate(spec, page, organisation.id)},
        )
    )
    response.vary.add("HX-Request")
    return response


def _edit_data(organisation: Organisation) -> dict:
    rows = [
        {"id": str(n.id), "number": n.number, "forward_to": n.forward_to or ""}
        for n in customers.numbers(organisation.id)
    ]
    return {
        "name": organisation.name,
        "partner_id": organisation.partner_id or "",
        "phone": organisation.phone or "",
        "address": organisation.address or "",
        "time_zone": organisation.time_zone,
        "numbers": [*rows, {"id": "", "number": "", "forward_to": ""}],
    }


def _number_edits(form: CustomerEditForm) -> list[customers.NumberEdit]:
    edits = []
    for entry in form.numbers.entries:
        edits.append(
            customers.NumberEdit(
                id=form_id_or_400(entry.form.id.data),
                number=entry.form.number.data or "",
                forward_to=entry.form.forward_to.data or "",
                remove=bool(entry.form.remove.data),
            )
        )
    return edits


def _show_edit_error(form: CustomerEditForm, error: ServiceError) -> None:
    name, _, index = (error.field or "").partition("-")
    position = parse_int(index, low=0)
    if name == "numbers" and position is not None and position < len(form.numbers.entries):
        form.numbers.entries[position].form.number.errors.append(error.message)
        return
    target = getattr(form, error.field or "", None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


@bp.route("/customers/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def customer_edit(organisation_id: int):
    """Edit name, partner ID, phone, address, time zone, numbers and forwarding; logged."""
    organisation = _organisation_or_404(organisation_id)
    if request.method == "POST":
        form = CustomerEditForm()
    else:
        form = CustomerEditForm(formdata=None, data=_edit_data(organisation))
    form.time_zone.choices = list(accounts.time_zone_choices())
    if form.validate_on_submit():
        try:
            changes = customers.update_customer(
                organisation.id,
                actor=_actor(),
                name=form.name.data,
                partner_id=form.partner_id.data or "",
                phone=form.phone.data or "",
                address=form.address.data or "",
                time_zone=form.time_zone.data,
                numbers_edit=_number_edits(form),
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            _show_edit_error(form, error)
        else:
            if changes:
                flash(
                    f"Profile saved: {len(changes)} change(s), shown in the change log.", "success"
                )
            else:
                flash("Nothing was changed.", "info")
            return _redirect_after_post(url_for("system.customer", organisation_id=organisation.id))
    failed = request.method == "POST"
    return (
        render_template("system/customer_edit.html", organisation=organisation, form=form),
        422 if failed else 200,
    )


@bp.route("/customers/<int:organisation_id>/reset-link", methods=["POST"])
@role_required(*STAFF)
def customer_reset_link(organisation_id: int):
    """Mail a password-reset link to one of the customer's logins; no password is ever shown."""
    organisation = _organisation_or_404(organisation_id)
    form = _reset_form(organisation.id)
    if form.validate_on_submit():
        try:
            user = customers.send_reset_link(
                organisation.id,
                form.user_id.data,
                actor=_actor(),
                secret_key=current_app.config["SECRET_KEY"],
                max_age=current_app.config["PASSWORD_RESET_MAX_AGE"],
                link_for=lambda token: mail_link("auth.reset_password", token=token),
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            form.user_id.errors.append(error.message)
        else:
            flash(f"A password-reset link is on its way to {user.email}.", "success")
            return _redirect_after_post(url_for("system.customer", organisation_id=organisation.id))
    return _customer_page(organisation, reset_form=form, status=422)


def _refused_account_form(organisation: Organisation, form: OpenAccountForm):
    """The form again with its errors: the fragment for htmx (it swaps only 2xx answers),
    else the whole profile with 422."""
    if not is_htmx_request():
        return _customer_page(organisation, account_form=form, status=422)
    response = make_response(
        render_template("system/_account_open.html", organisation=organisation, account_form=form)
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/customers/<int:organisation_id>/accounts", methods=["POST"])
@role_required(*STAFF)
def customer_account_open(organisation_id: int):
    """Open a login for the customer and mail it a set-password link; FRAUD-STOP refuses."""
    organisation = _organisation_or_404(organisation_id)
    form = OpenAccountForm(prefix=ACCOUNT_PREFIX)
    if form.validate_on_submit():
        try:
            user = customer_accounts.open_account(
                organisation.id,
                actor=_actor(),
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data or "",
                secret_key=current_app.config["SECRET_KEY"],
                max_age=current_app.config["PASSWORD_RESET_MAX_AGE"],
                link_for=lambda token: mail_link("auth.reset_password", token=token),
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                f"The account of {user.name} is open: a link to choose a password is on its "
                f"way to {user.email}.",
                "success",
            )
            return _redirect_after_post(url_for("system.customer", organisation_id=organisation.id))
    return _refused_account_form(organisation, form)


@bp.route("/customers/<int:organisation_id>/fraud-stop", methods=["POST"])
@role_required(*STAFF)
def customer_fraud_stop(organisation_id: int):
    """FRAUD-STOP: block every address the customer's logins came from, and every card."""
    organisation = _organisation_or_404(organisation_id)
    form = FraudStopForm()
    if form.validate_on_submit():
        try:
            result = fraud.fraud_stop(
                organisation.id,
                actor=_actor(),
                reason=form.reason.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            form.reason.errors.append(error.message)
        else:
            flash(result.summary, "success" if result.changed else "info")
            return _redirect_after_post(url_for("system.customer", organisation_id=organisation.id))
    return _customer_page(organisation, fraud_form=form, status=422)


# --- FRAUD-STOP lists -------------------------------------------------------------------------


def _fraud_page(*, ip_form=None, card_form=None, unblock_error=None, status=200):
    lists = _pages(FRAUD_LISTS)
    ids = {
        getattr(row, attr)
        for name in ("ips", "cards")
        for row in lists[name].items
        for attr in ("created_by_id", "unblocked_by_id")
    }
    context = {
        "lists": lists,
        "names": fraud.user_names(ids),
        "ip_form": ip_form or BlockIPForm(formdata=None, prefix="ip"),
        "card_form": card_form or BlockCardForm(formdata=None, prefix="card"),
        "unblock_error": unblock_error,
        "adding": bool(ip_form or card_form),
    }
    return render_template("system/fraud.html", **context), status


@bp.route("/fraud", endpoint="fraud")
@role_required(*STAFF)
def fraud_overview():
    """Blocked addresses and cards (who, when, why, unblocked) and the latest refused attempts."""
    return _fraud_page()


@bp.route("/fraud/list/<name>")
@role_required(*STAFF)
def fraud_list(name: str):
    """One page of blocked IPs, cards or attempts (htmx); else the whole FRAUD-STOP page."""
    spec = FRAUD_LISTS.get(name) or abort(404)
    page = _page_number("page")
    if not is_htmx_request():
        return redirect(url_for("system.fraud", **{f"{name}_page": page}))
    paged = _paginate(spec, page)
    ids = {getattr(r, a, None) for r in paged.items for a in ("created_by_id", "unblocked_by_id")}
    response = make_response(
        render_template(
            spec.template,
            lists={name: paged},
            names=fraud.user_names(ids),
            unblock_error=None,
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/fraud/ips", methods=["POST"])
@role_required(*STAFF)
def fraud_block_ip():
    """Add an IP address or CIDR range to the blocklist."""
    form = BlockIPForm(prefix="ip")
    if form.validate_on_submit():
        try:
            blocked = fraud.block_ip(
                form.network.data,
                actor=_actor(),
                reason=form.reason.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            getattr(form, error.field or "network").errors.append(error.message)
        else:
            flash(f"{blocked.network} is blocked.", "success")
            return _redirect_after_post(url_for("system.fraud"))
    return _fraud_page(ip_form=form, status=422)


@bp.route("/fraud/cards", methods=["POST"])
@role_required(*STAFF)
def fraud_block_card():
    """Add a card to the blocklist: only its fingerprint, brand and last four are kept."""
    form = BlockCardForm(prefix="card")
    if form.validate_on_submit():
        try:
            blocked = fraud.block_card(
                form.number.data,
                actor=_actor(),
                reason=form.reason.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            getattr(form, error.field or "number").errors.append(error.message)
        else:
            flash(f"{blocked.brand} ending {blocked.last4} is blocked.", "success")
            return _redirect_after_post(url_for("system.fraud"))
    form.number.data = None  # never carried further than the service call
    return _fraud_page(card_form=form, status=422)


@bp.route("/fraud/<any(ip, card):kind>/<int:blocked_id>/unblock", methods=["POST"])
@role_required(*STAFF)
def fraud_unblock(kind: str, blocked_id: int):
    """Lift a block; a reason is required and kept with who and when."""
    form = UnblockForm()
    if form.validate_on_submit():
        try:
            fraud.unblock(
                kind,
                blocked_id,
                actor=_actor(),
                reason=form.reason.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            message = error.message
        else:
            flash("The block is lifted.", "success")
            return _redirect_after_post(url_for("system.fraud"))
    else:
        message = " ".join(form.reason.errors) or "Give a reason."
    return _fraud_page(unblock_error=(kind, blocked_id, message), status=422)
