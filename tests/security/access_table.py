"""THE access table (issue 10 item 1): for every URL rule and method, the URL arguments to use
(keys of the fixture world in tests/security/world.py) and the status each role must get.

The expectations are written out per role on purpose, never derived from the app's guards: a
route added without a row here, or a guard that changes, fails tests/security/test_access_matrix.

Roles: anonymous, customer_a (organisation A), customer_b (organisation B), agent_t1 (tier 1),
agent_t2 (tier 2), billing, admin. Objects in the URLs belong to organisation A unless a row
says otherwise, so customer_b always asks for someone else's object.

Statuses:
  200, 204, 400, 403, 404  exactly that status
  LOGIN     a redirect to the login page (anonymous on a page that needs an account)
  REDIRECT  a redirect elsewhere (e.g. a logged-in user opening the login page)
  OK        for POSTs sent with a valid CSRF token and an empty or minimal body: the role is
            admitted, so anything but 5xx, 401, 403, 404 or a redirect to the login page
            (a form error, 400 for a missing field, 422, a redirect after success ...)

API rows (`api=True`, the /api/v1 blueprint) are requested with a bearer token instead of
the session: staff roles send a token of their own holding every scope their role may hold,
customers and visitors (who hold no tokens) send none and must get 401. Their `json` is the
body, valid, so the status is exactly the one written (201 made, 403 refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOGIN = "LOGIN"
REDIRECT = "REDIRECT"
OK = "OK"

ROLES = ("anonymous", "customer_a", "customer_b", "agent_t1", "agent_t2", "billing", "admin")


@dataclass(frozen=True)
class Ref:
    """A URL argument taken from the fixture world (an id, a case number, a slug, a token)."""

    key: str


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    expect: dict[str, int | str]
    args: dict[str, object] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    htmx: bool = False  # send HX-Request: the route only serves fragments to htmx
    data: dict[str, str] = field(default_factory=dict)  # minimal body beside the CSRF token
    note: str = ""
    api: bool = False  # /api/v1: a bearer token per staff role, none for the others
    json: dict[str, object] = field(default_factory=dict)  # an API row's body (Refs allowed)


def roles(
    anonymous,
    customer_a,
    customer_b,
    agent_t1,
    agent_t2,
    billing,
    admin,
) -> dict[str, int | str]:
    """One expectation per role, every role named."""
    statuses = (anonymous, customer_a, customer_b, agent_t1, agent_t2, billing, admin)
    return dict(zip(ROLES, statuses, strict=True))


# Named columns, each still one explicit status per role (anonymous, A, B, t1, t2, billing, admin).
EVERYONE = roles(200, 200, 200, 200, 200, 200, 200)
LOGGED_IN = roles(LOGIN, 200, 200, 200, 200, 200, 200)
GUEST_FORM = roles(200, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
CUSTOMERS = roles(LOGIN, 200, 200, 403, 403, 403, 403)
CASE_OF_A = roles(LOGIN, 200, 404, 403, 403, 403, 403)
SUPPORT = roles(LOGIN, 403, 403, 200, 200, 403, 200)
MONEY = roles(LOGIN, 403, 403, 403, 403, 200, 200)
ADMIN = roles(LOGIN, 403, 403, 403, 403, 403, 200)
EDITORS = roles(LOGIN, 403, 403, 200, 200, 403, 200)

POST_LOGGED_IN = roles(LOGIN, OK, OK, OK, OK, OK, OK)
POST_CUSTOMERS = roles(LOGIN, OK, OK, 403, 403, 403, 403)
POST_CASE_OF_A = roles(LOGIN, OK, 404, 403, 403, 403, 403)
POST_SUPPORT = roles(LOGIN, 403, 403, OK, OK, 403, OK)
POST_MONEY = roles(LOGIN, 403, 403, 403, 403, OK, OK)
POST_ADMIN = roles(LOGIN, 403, 403, 403, 403, 403, OK)
POST_EDITORS = roles(LOGIN, 403, 403, OK, OK, 403, OK)
# Case pages billing staff work too: read, notes, calls (helpdesk.rules.billing_access).
CASE_PAGE = roles(LOGIN, 403, 403, 200, 200, 200, 200)
POST_CASE_PAGE = roles(LOGIN, 403, 403, OK, OK, OK, OK)
# Money on a case page: billing staff and admins (agents only when granted the permission).
POST_CASE_MONEY = roles(LOGIN, 403, 403, 403, 403, OK, OK)

# The API: visitors and customers hold no tokens (401); staff roles as their pages allow.
API_STAFF = roles(401, 401, 401, 200, 200, 200, 200)
API_STAFF_MADE = roles(401, 401, 401, 201, 201, 201, 201)
API_CASE_WORK = roles(401, 401, 401, 200, 200, 403, 200)  # agent work: not billing staff
API_CASE_WORK_MADE = roles(401, 401, 401, 201, 201, 403, 201)
API_BILLING = roles(401, 401, 401, 403, 403, 200, 200)  # money, the system manager
API_BILLING_MADE = roles(401, 401, 401, 403, 403, 201, 201)

CASE_A = {"number": Ref("case_a")}
ORG_A = {"organisation_id": Ref("org_a")}
TYPES = {"kind": "types", "entry_id": Ref("case_type")}

TABLE: list[Row] = [
    # --- root and accounts ----------------------------------------------------------------
    Row("index", "GET", roles(LOGIN, *[REDIRECT] * 6), note="each role to its home"),
    Row("health.healthz", "GET", EVERYONE, note="load balancers: public, no session"),
    Row("health.readyz", "GET", EVERYONE, note="load balancers: public, no session"),
    Row("auth.login", "GET", GUEST_FORM),
    Row("auth.login", "POST", roles(OK, *[REDIRECT] * 6)),
    Row("auth.register", "GET", GUEST_FORM),
    Row("auth.register", "POST", roles(OK, *[REDIRECT] * 6)),
    Row("auth.profile", "GET", LOGGED_IN),
    Row("auth.profile", "POST", POST_LOGGED_IN),
    Row("auth.password_change", "GET", LOGGED_IN),
    Row("auth.password_change", "POST", POST_LOGGED_IN),
    # Two-factor login: without a password typed first there is nothing to answer.
    Row("auth.two_factor_code", "GET", roles(LOGIN, *[REDIRECT] * 6)),
    Row("auth.two_factor_code", "POST", roles(LOGIN, *[REDIRECT] * 6)),
    Row("auth.two_factor_setup", "GET", roles(LOGIN, 404, 404, 200, 200, 200, 200)),
    Row("auth.two_factor_setup", "POST", roles(LOGIN, 404, 404, OK, OK, OK, OK)),
    Row("auth.two_factor_recovery_codes", "POST", POST_LOGGED_IN),
    Row("auth.two_factor_off", "POST", POST_LOGGED_IN),
    Row("auth.register_confirm", "GET", EVERYONE, {"token": Ref("registration_token")}),
    Row("auth.register_confirm", "GET", roles(*[400] * 7), {"token": "made-up"}),
    Row("auth.register_confirm", "POST", roles(*[400] * 7), {"token": "made-up"}),
    Row("auth.reset_request", "GET", EVERYONE),
    Row("auth.reset_request", "POST", roles(OK, OK, OK, OK, OK, OK, OK)),
    Row("auth.reset_password", "GET", EVERYONE, {"token": Ref("reset_token")}),
    Row("auth.reset_password", "GET", roles(*[400] * 7), {"token": "forged.token"}),
    Row("auth.reset_password", "POST", roles(*[OK] * 7), {"token": Ref("reset_token")}),
    # --- help centre: public articles for all, internal ones and editing for agents/admins --
    Row("helpcentre.home", "GET", EVERYONE),
    Row("helpcentre.article_show", "GET", EVERYONE, {"slug": Ref("public_slug")}),
    Row(
        "helpcentre.article_show",
        "GET",
        roles(404, 404, 404, 200, 200, 404, 200),
        {"slug": Ref("internal_slug")},
        note="internal article: 404, not 403, for everyone but editors",
    ),
    Row("helpcentre.article_new", "GET", EDITORS),
    Row("helpcentre.article_new", "POST", POST_EDITORS),
    Row("helpcentre.article_edit", "GET", EDITORS, {"slug": Ref("public_slug")}),
    Row("helpcentre.article_edit", "POST", POST_EDITORS, {"slug": Ref("public_slug")}),
    Row("helpcentre.article_history", "GET", EDITORS, {"slug": Ref("public_slug")}),
    Row(
        "helpcentre.revision_show",
        "GET",
        EDITORS,
        {"slug": Ref("public_slug"), "revision_id": Ref("public_revision")},
    ),
    Row(
        "helpcentre.revision_show",
        "GET",
        roles(LOGIN, 403, 403, 404, 404, 403, 404),
        {"slug": Ref("public_slug"), "revision_id": Ref("internal_revision")},
        note="another article's revision under this slug",
    ),
    # --- did this solve it?: the signed link is the permission, no login needed -------------
    Row("feedback.answer", "GET", EVERYONE, {"token": Ref("feedback_token")}),
    Row("feedback.answer", "GET", roles(*[404] * 7), {"token": "forged.token"}),
    Row("feedback.answer", "POST", roles(*[OK] * 7), {"token": Ref("feedback_token")}),
    Row(
        "feedback.article_answer",
        "POST",
        roles(*[OK] * 7),
        {"slug": Ref("public_slug")},
        data={"solved": "yes"},
    ),
    Row(
        "feedback.article_answer",
        "POST",
        roles(*[404] * 7),
        {"slug": Ref("internal_slug")},
        data={"solved": "yes"},
        note="internal articles take no answers",
    ),
    # --- customer portal --------------------------------------------------------------------
    Row("portal.case_list", "GET", CUSTOMERS),
    Row("portal.case_new", "GET", CUSTOMERS),
    Row("portal.order_list", "GET", CUSTOMERS),
    Row("portal.case_detail", "GET", CASE_OF_A, CASE_A),
    Row(
        "portal.case_detail",
        "GET",
        roles(LOGIN, 404, 200, 403, 403, 403, 403),
        {"number": Ref("case_b")},
    ),
    Row("portal.case_thread", "GET", CASE_OF_A, CASE_A),
    Row(
        "portal.attachment_download",
        "GET",
        CASE_OF_A,
        {"number": Ref("case_a"), "attachment_id": Ref("attachment_a")},
    ),
    Row(
        "portal.attachment_download",
        "GET",
        roles(LOGIN, 404, 404, 403, 403, 403, 403),
        {"number": Ref("case_a"), "attachment_id": Ref("note_attachment_a")},
        note="a file on a private note is never the customer's",
    ),
    Row(
        "portal.attachment_download",
        "GET",
        roles(LOGIN, 404, 404, 403, 403, 403, 403),
        {"number": Ref("case_a"), "attachment_id": Ref("attachment_b")},
        note="B's file under A's case number",
    ),
    Row("portal.article_suggestions", "GET", CUSTOMERS, query={"subject": "read"}),
    Row("portal.article_show", "GET", CUSTOMERS, {"article_id": Ref("public_article")}),
    Row(
        "portal.article_show",
        "GET",
        roles(LOGIN, 404, 404, 403, 403, 403, 403),
        {"article_id": Ref("internal_article")},
    ),
    Row("portal.case_new", "POST", POST_CUSTOMERS),
    Row("portal.case_reply", "POST", POST_CASE_OF_A, CASE_A),
    Row("portal.case_cc_add", "POST", POST_CASE_OF_A, CASE_A, data={"email": "x"}),
    Row("portal.case_cc_remove", "POST", POST_CASE_OF_A, CASE_A, data={"email": "x"}),
    Row("portal.case_close", "POST", POST_CASE_OF_A, CASE_A),
    Row("portal.case_reopen", "POST", POST_CASE_OF_A, CASE_A),
    # --- issue tracker (agents of every tier, admins) ---------------------------------------
    Row("tracker.home", "GET", SUPPORT),
    Row("tracker.folder", "GET", SUPPORT, {"name": "queue"}),
    Row("tracker.counts", "GET", SUPPORT),
    Row("tracker.search", "GET", SUPPORT, query={"q": "secret"}),
    Row("tracker.callers", "GET", SUPPORT, query={"q": "Org"}),
    Row("tracker.account", "GET", SUPPORT, ORG_A),
    Row("tracker.phone_procedure", "GET", SUPPORT, ORG_A),
    Row("tracker.phone_intake", "GET", SUPPORT),
    Row("tracker.contact_list", "GET", SUPPORT, ORG_A),
    Row("tracker.contact_edit", "GET", SUPPORT, {**ORG_A, "contact_id": Ref("contact_a")}),
    Row(
        "tracker.contact_edit",
        "GET",
        roles(LOGIN, 403, 403, 404, 404, 403, 404),
        {**ORG_A, "contact_id": Ref("contact_b")},
        note="B's contact under A's organisation",
    ),
    Row("tracker.remote_session", "GET", SUPPORT, CASE_A),
    Row("tracker.team_panel", "GET", SUPPORT),
    Row("tracker.start_of_day", "GET", SUPPORT),
    Row("tracker.handover_screen", "GET", SUPPORT),
    Row(
        "tracker.handover_screen",
        "GET",
        roles(LOGIN, 403, 403, 403, 403, 403, 200),
        query={"agent_id": "{other_agent}"},
        note="another agent's hand-over: administrators only",
    ),
    Row("tracker.case_view", "GET", CASE_PAGE, CASE_A),
    Row("tracker.case_view", "GET", CASE_PAGE, {"number": Ref("case_b")}),
    Row("tracker.case_thread", "GET", CASE_PAGE, CASE_A, htmx=True),
    Row("tracker.case_article_suggestions", "GET", CASE_PAGE, CASE_A, htmx=True),
    Row("tracker.case_macro_picker", "GET", SUPPORT, CASE_A, htmx=True),
    Row("tracker.macro_list", "GET", SUPPORT),
    Row("tracker.macro_new", "GET", SUPPORT),
    Row(
        "tracker.macro_edit",
        "GET",
        roles(LOGIN, 403, 403, 403, 403, 403, 200),
        {"macro_id": Ref("canned")},
        note="a shared macro: only administrators edit it",
    ),
    Row(
        "tracker.attachment_download",
        "GET",
        CASE_PAGE,
        {"number": Ref("case_a"), "attachment_id": Ref("note_attachment_a")},
    ),
    Row(
        "tracker.attachment_download",
        "GET",
        roles(LOGIN, 403, 403, 404, 404, 404, 404),
        {"number": Ref("case_a"), "attachment_id": Ref("attachment_b")},
        note="B's file under A's case number",
    ),
    Row("tracker.status_set", "POST", POST_SUPPORT),
    Row("tracker.bulk", "POST", POST_SUPPORT),
    Row("tracker.handover_screen", "POST", POST_SUPPORT),
    Row("tracker.phone_procedure", "POST", POST_SUPPORT, ORG_A),
    Row("tracker.phone_intake", "POST", POST_SUPPORT),
    Row("tracker.contact_add", "POST", POST_SUPPORT, ORG_A),
    Row("tracker.contact_edit", "POST", POST_SUPPORT, {**ORG_A, "contact_id": Ref("contact_a")}),
    Row("tracker.contact_former", "POST", POST_SUPPORT, {**ORG_A, "contact_id": Ref("contact_a")}),
    Row("tracker.contact_current", "POST", POST_SUPPORT, {**ORG_A, "contact_id": Ref("contact_a")}),
    Row("tracker.case_correspondent", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.remote_check", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.remote_start", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.remote_end", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_message", "POST", POST_CASE_PAGE, CASE_A),
    Row("tracker.macro_new", "POST", POST_SUPPORT),
    Row(
        "tracker.macro_edit",
        "POST",
        roles(LOGIN, 403, 403, 403, 403, 403, OK),
        {"macro_id": Ref("canned")},
    ),
    Row(
        "tracker.macro_delete",
        "POST",
        roles(LOGIN, 403, 403, 403, 403, 403, OK),
        {"macro_id": Ref("canned")},
    ),
    Row("tracker.case_assign", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_tags_add", "POST", POST_CASE_PAGE, CASE_A, data={"tags": "x"}),
    Row("tracker.case_tags_remove", "POST", POST_CASE_PAGE, CASE_A, data={"tag": "x"}),
    Row("tracker.view_create", "POST", POST_SUPPORT),
    # A personal view of tier-1's: others cannot even find it.
    Row(
        "tracker.view_delete",
        "POST",
        roles(LOGIN, 403, 403, OK, 404, 403, 404),
        {"view_id": Ref("saved_view")},
    ),
    Row("tracker.case_accept", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_priority", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_priority_factors", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_classify", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_call", "POST", POST_CASE_PAGE, CASE_A),
    Row("tracker.case_time", "POST", POST_CASE_PAGE, CASE_A, data={"time_minutes": "x"}),
    Row("tracker.case_merge", "POST", POST_SUPPORT, CASE_A, data={"target": "x"}),
    Row("tracker.case_cc_add", "POST", POST_CASE_PAGE, CASE_A, data={"email": "x"}),
    Row("tracker.case_cc_remove", "POST", POST_CASE_PAGE, CASE_A, data={"email": "x"}),
    Row("tracker.case_action", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_repost", "POST", POST_SUPPORT, CASE_A),
    Row(
        "tracker.case_accept_sender",
        "POST",
        POST_SUPPORT,
        {"number": Ref("case_a"), "message_id": Ref("held_reply_a")},
    ),
    Row("tracker.case_presence", "POST", POST_CASE_PAGE, CASE_A),
    Row(
        "tracker.case_refund",
        "POST",
        POST_CASE_MONEY,
        {"number": Ref("case_a"), "payment_id": Ref("payment_a")},
    ),
    Row(
        "tracker.case_refund",
        "POST",
        roles(LOGIN, 403, 403, 403, 403, 404, 404),
        {"number": Ref("case_a"), "payment_id": Ref("payment_b")},
        note="B's payment under A's case",
    ),
    Row(
        "tracker.case_reship",
        "POST",
        POST_CASE_MONEY,
        {"number": Ref("case_a"), "shipment_id": Ref("shipment_a")},
    ),
    Row(
        "tracker.case_reship",
        "POST",
        roles(LOGIN, 403, 403, 403, 403, 404, 404),
        {"number": Ref("case_a"), "shipment_id": Ref("shipment_b")},
        note="B's shipment under A's case",
    ),
    Row("tracker.case_link", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_escalate", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_send_back", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_tier2", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_subcase", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_clone", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_clone_orders", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_close", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_intake_details", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.case_origin", "POST", POST_SUPPORT, CASE_A),
    Row("tracker.end_of_day", "POST", POST_SUPPORT),
    # --- reports ------------------------------------------------------------------------------
    Row("reports.dashboard", "GET", SUPPORT),
    Row("reports.live", "GET", SUPPORT),
    Row("reports.support", "GET", SUPPORT),
    Row("reports.time_spent", "GET", SUPPORT),
    Row("reports.service_levels", "GET", SUPPORT),
    Row("reports.cases_csv", "GET", SUPPORT),
    Row("reports.billing", "GET", MONEY),
    Row("reports.table_csv", "GET", SUPPORT, {"report": "support", "name": "first-response"}),
    Row("reports.table_csv", "GET", MONEY, {"report": "billing", "name": "payments"}),
    # --- payment manager -----------------------------------------------------------------------
    Row("billing.home", "GET", MONEY),
    Row("billing.orders_list", "GET", MONEY),
    Row("billing.order_start", "GET", roles(LOGIN, 403, 403, 403, 403, REDIRECT, REDIRECT)),
    Row("billing.order_view", "GET", MONEY, {"order_id": Ref("order_a")}),
    Row("billing.order_new", "GET", MONEY, ORG_A),
    Row("billing.payment", "GET", MONEY, {"payment_id": Ref("payment_a")}),
    Row("billing.promotions_list", "GET", MONEY),
    Row("billing.shipment_queue", "GET", MONEY),
    Row("billing.card_check", "GET", MONEY),
    Row("billing.customer_plans", "GET", MONEY, ORG_A),
    Row("billing.customer_statements", "GET", MONEY, ORG_A),
    Row("billing.card_check", "POST", POST_MONEY),
    Row("billing.order_new", "POST", POST_MONEY, ORG_A),
    Row("billing.order_promotion_assign", "POST", POST_MONEY, {"order_id": Ref("order_a")}),
    Row("billing.refund_create", "POST", POST_MONEY, {"payment_id": Ref("payment_a")}),
    Row("billing.payment_fraud_stop", "POST", POST_MONEY, {"payment_id": Ref("payment_a")}),
    Row("billing.promotion_create", "POST", POST_MONEY),
    Row(
        "billing.recurring_payment_update",
        "POST",
        POST_MONEY,
        {"organisation_id": Ref("org_a"), "recurring_id": Ref("recurring_a")},
    ),
    Row(
        "billing.recurring_payment_update",
        "POST",
        roles(LOGIN, 403, 403, 403, 403, 404, 404),
        {"organisation_id": Ref("org_b"), "recurring_id": Ref("recurring_a")},
        note="A's recurring payment under B's customer id",
    ),
    Row(
        "billing.subscription_update",
        "POST",
        POST_MONEY,
        {"organisation_id": Ref("org_a"), "subscription_id": Ref("subscription_a")},
    ),
    Row(
        "billing.subscription_update",
        "POST",
        roles(LOGIN, 403, 403, 403, 403, 404, 404),
        {"organisation_id": Ref("org_b"), "subscription_id": Ref("subscription_a")},
        note="A's subscription under B's customer id",
    ),
    Row("billing.shipment_pack", "POST", POST_MONEY, {"shipment_id": Ref("shipment_a")}),
    Row("billing.shipment_ship", "POST", POST_MONEY, {"shipment_id": Ref("shipment_a")}),
    Row("billing.promotion_deactivate", "POST", POST_MONEY, {"promotion_id": Ref("promotion")}),
    # --- system manager (customers, FRAUD-STOP) -------------------------------------------------
    Row("system.home", "GET", MONEY),
    Row("system.customer", "GET", MONEY, ORG_A),
    Row("system.customer_edit", "GET", MONEY, ORG_A),
    Row("system.customer_list", "GET", MONEY, {**ORG_A, "name": "invoices"}, htmx=True),
    Row("system.fraud", "GET", MONEY),
    Row("system.fraud_list", "GET", MONEY, {"name": "ips"}, htmx=True),
    Row("system.customer_edit", "POST", POST_MONEY, ORG_A),
    Row("system.customer_account_open", "POST", POST_MONEY, ORG_A),
    Row("system.customer_reset_link", "POST", POST_MONEY, ORG_A),
    Row("system.customer_fraud_stop", "POST", POST_MONEY, ORG_A),
    Row("system.fraud_block_ip", "POST", POST_MONEY),
    Row("system.fraud_block_card", "POST", POST_MONEY),
    Row(
        "system.fraud_unblock",
        "POST",
        POST_MONEY,
        {"kind": "ip", "blocked_id": Ref("blocked_ip")},
    ),
    # --- administration -------------------------------------------------------------------------
    Row("admin.home", "GET", ADMIN),
    Row("admin.audit_log", "GET", ADMIN),
    Row("admin.job_list", "GET", ADMIN),
    Row("admin.user_list", "GET", ADMIN),
    Row("admin.user_create", "GET", ADMIN),
    Row("admin.user_edit", "GET", ADMIN, {"user_id": Ref("other_agent")}),
    Row(
        "admin.user_edit",
        "GET",
        roles(LOGIN, 403, 403, 403, 403, 403, 404),
        {"user_id": Ref("customer_a_user")},
        note="customer logins are managed on the customer's profile",
    ),
    Row("admin.canned_list", "GET", ADMIN),
    Row("admin.canned_edit", "GET", ADMIN, {"canned_id": Ref("canned")}),
    Row("admin.catalogue_list", "GET", ADMIN),
    Row("admin.holiday_list", "GET", ADMIN),
    Row("admin.inbound_mail_list", "GET", ADMIN),
    Row("admin.inbound_mail_raw", "GET", ADMIN, {"mail_id": Ref("inbound_mail")}),
    Row("admin.sent_mail_list", "GET", ADMIN),
    Row("admin.sent_mail_view", "GET", ADMIN, {"mail_id": Ref("outbox_mail")}),
    Row("admin.priority_weights", "GET", ADMIN),
    Row("admin.routing_rules", "GET", ADMIN),
    Row("admin.settings_edit", "GET", ADMIN),
    Row("admin.user_create", "POST", POST_ADMIN),
    Row("admin.user_edit", "POST", POST_ADMIN, {"user_id": Ref("other_agent")}),
    Row("admin.user_password_link", "POST", POST_ADMIN, {"user_id": Ref("other_agent")}),
    Row("admin.user_billing_permission", "POST", POST_ADMIN, {"user_id": Ref("other_agent")}),
    Row("admin.user_two_factor_reset", "POST", POST_ADMIN, {"user_id": Ref("other_agent")}),
    Row("admin.tag_list", "GET", ADMIN),
    Row("admin.sla_policy_list", "GET", ADMIN),
    Row("admin.sla_policy_list", "POST", POST_ADMIN),
    Row("admin.sla_policy_delete", "POST", POST_ADMIN, {"policy_id": Ref("sla_policy")}),
    # Webhook endpoints: administrators only; the secret is shown in the answer of a post.
    Row("admin.webhook_list", "GET", ADMIN),
    Row("admin.webhook_create", "GET", ADMIN),
    Row("admin.webhook_create", "POST", POST_ADMIN),
    Row("admin.webhook_edit", "GET", ADMIN, {"endpoint_id": Ref("webhook")}),
    Row("admin.webhook_edit", "POST", POST_ADMIN, {"endpoint_id": Ref("webhook")}),
    Row("admin.webhook_rotate", "POST", POST_ADMIN, {"endpoint_id": Ref("webhook")}),
    Row("admin.webhook_enable", "POST", POST_ADMIN, {"endpoint_id": Ref("webhook")}),
    Row("admin.webhook_delete", "POST", POST_ADMIN, {"endpoint_id": Ref("webhook_removed")}),
    # Notifications: staff read their own; anyone else's is not found.
    Row("notifications.notification_list", "GET", roles(LOGIN, 403, 403, 200, 200, 200, 200)),
    Row(
        "notifications.notification_open",
        "GET",
        roles(LOGIN, 403, 403, REDIRECT, 404, 404, 404),
        {"notification_id": Ref("notification")},
    ),
    Row("notifications.notification_read_all", "POST", roles(LOGIN, 403, 403, OK, OK, OK, OK)),
    Row("notifications.notification_mail", "POST", roles(LOGIN, 403, 403, OK, OK, OK, OK)),
    Row("admin.tag_list", "POST", POST_ADMIN),
    Row("admin.tag_unsuggest", "POST", POST_ADMIN, {"tag_id": Ref("tag")}),
    Row("admin.canned_edit", "POST", POST_ADMIN, {"canned_id": Ref("canned")}),
    Row("admin.catalogue_add", "POST", POST_ADMIN, {"kind": "types"}),
    Row("admin.catalogue_rename", "POST", POST_ADMIN, TYPES),
    Row("admin.catalogue_move", "POST", POST_ADMIN, TYPES),
    Row("admin.catalogue_active", "POST", POST_ADMIN, TYPES),
    Row(
        "admin.catalogue_delete",
        "POST",
        POST_ADMIN,
        {"kind": "types", "entry_id": Ref("unused_type")},
    ),
    Row("admin.holiday_create", "POST", POST_ADMIN),
    Row("admin.holiday_delete", "POST", POST_ADMIN, {"holiday_id": Ref("holiday")}),
    Row("admin.inbound_mail_retry", "POST", POST_ADMIN, {"mail_id": Ref("inbound_mail")}),
    Row("admin.inbound_mail_discard", "POST", POST_ADMIN, {"mail_id": Ref("inbound_mail")}),
    Row("admin.priority_weights", "POST", POST_ADMIN),
    Row("admin.settings_edit", "POST", POST_ADMIN),
    Row("admin.routing_rule_create", "POST", POST_ADMIN),
    Row("admin.routing_rule_move", "POST", POST_ADMIN, {"rule_id": Ref("routing_rule")}),
    Row("admin.routing_rule_active", "POST", POST_ADMIN, {"rule_id": Ref("routing_rule")}),
    Row("admin.routing_rule_delete", "POST", POST_ADMIN, {"rule_id": Ref("routing_rule")}),
    Row("admin.routing_topic_create", "POST", POST_ADMIN),
    Row("admin.routing_topic_delete", "POST", POST_ADMIN),
    # --- the API (/api/v1): bearer tokens, never the session (see the module docstring) -----
    Row("api.openapi_document", "GET", EVERYONE, note="the document: public, no token"),
    Row("api.docs_page", "GET", EVERYONE, note="the reference page: public, no token"),
    Row("api.list_cases", "GET", API_STAFF, api=True),
    Row("api.search_cases", "GET", API_STAFF, query={"q": "secret"}, api=True),
    Row("api.get_case", "GET", API_STAFF, CASE_A, api=True),
    Row(
        "api.case_attachment",
        "GET",
        API_STAFF,
        {**CASE_A, "attachment_id": Ref("note_attachment_a")},
        api=True,
        note="a private note's file: staff only, and every staff token",
    ),
    Row(
        "api.create_case",
        "POST",
        API_CASE_WORK_MADE,
        api=True,
        json={"organisation_id": Ref("org_a"), "subject": "From the API", "body": "Matrix"},
    ),
    Row("api.update_case", "PATCH", API_CASE_WORK, CASE_A, api=True, json={"tags": ["api"]}),
    Row(
        "api.create_reply",
        "POST",
        roles(401, 401, 401, OK, OK, 403, OK),
        CASE_A,
        api=True,
        json={"body": "Hi"},
        note="admitted; case A is closed by the rows before (422: add a note instead)",
    ),
    Row("api.create_note", "POST", API_STAFF_MADE, CASE_A, api=True, json={"body": "Noted"}),
    Row("api.list_organisations", "GET", API_STAFF, api=True),
    Row("api.get_organisation", "GET", API_STAFF, ORG_A, api=True),
    Row("api.list_contacts", "GET", API_STAFF, ORG_A, api=True),
    Row(
        "api.update_contact",
        "PATCH",
        API_CASE_WORK,
        {**ORG_A, "contact_id": Ref("contact_a")},
        api=True,
        json={"phone": "+1 555 0100"},
        note="agents and admins keep contacts (the tracker's contact pages)",
    ),
    Row("api.get_customer", "GET", API_STAFF, {"user_id": Ref("customer_a_user")}, api=True),
    Row(
        "api.get_customer",
        "GET",
        roles(401, 401, 401, 404, 404, 404, 404),
        {"user_id": Ref("other_agent")},
        api=True,
        note="a staff login is no customer",
    ),
    Row(
        "api.update_customer",
        "PATCH",
        API_BILLING,
        {"user_id": Ref("customer_a_user")},
        api=True,
        json={"phone": "+1 555 0101"},
        note="billing staff and admins edit customers (the system manager)",
    ),
    Row("api.list_orders", "GET", API_BILLING, api=True),
    Row("api.get_order", "GET", API_BILLING, {"order_id": Ref("order_a")}, api=True),
    Row("api.get_payment", "GET", API_BILLING, {"payment_id": Ref("payment_a")}, api=True),
    Row(
        "api.create_refund",
        "POST",
        API_BILLING_MADE,
        {"payment_id": Ref("payment_a")},
        api=True,
        json={"amount_cents": 100, "reason": "Matrix", "destination": "prepaid"},
    ),
    Row("api.list_articles", "GET", API_STAFF, api=True),
    Row("api.get_article", "GET", API_STAFF, {"article_id": Ref("public_article")}, api=True),
    Row(
        "api.get_article",
        "GET",
        roles(401, 401, 401, 200, 200, 404, 200),
        {"article_id": Ref("internal_article")},
        api=True,
        note="internal articles: the help centre's editors only, as on its pages",
    ),
    Row(
        "api.create_article",
        "POST",
        API_CASE_WORK_MADE,
        api=True,
        json={"title": "From the API", "body": "Hello"},
    ),
    Row(
        "api.update_article",
        "PATCH",
        API_CASE_WORK,
        {"article_id": Ref("public_article")},
        api=True,
        json={"tags": ["api"]},
    ),
    # API tokens on the profile: staff only (customers hold none: 404), each their own token.
    Row("auth.api_token_create", "POST", roles(LOGIN, 404, 404, OK, OK, OK, OK)),
    Row(
        "auth.api_token_revoke",
        "POST",
        roles(LOGIN, 404, 404, OK, 404, 404, 404),
        {"token_id": Ref("api_token")},
        note="tier 1's token: anyone else's is 404 here, admins revoke on /admin/api-tokens",
    ),
    Row("admin.api_token_list", "GET", ADMIN),
    Row("admin.api_token_revoke", "POST", POST_ADMIN, {"token_id": Ref("other_api_token")}),
    # Near the end: the first agent's split moves the message to a new case, so later roles
    # (and any row after this one) find it gone.
    Row(
        "tracker.case_split",
        "POST",
        roles(LOGIN, 403, 403, OK, 404, 403, 404),
        {"number": Ref("case_a"), "message_id": Ref("held_reply_a")},
    ),
    # Last: it ends the session (the runner logs each request in again anyway).
    Row("auth.logout", "POST", roles(LOGIN, *[LOGIN] * 6)),
]


def resolve_json(row: Row, world: dict) -> dict:
    """An API row's body with the world's ids filled in."""
    return {k: world[v.key] if isinstance(v, Ref) else v for k, v in row.json.items()}


def resolve(row: Row, world: dict) -> tuple[dict, dict]:
    """The row's URL arguments and query string with the world's ids filled in."""
    args = {k: world[v.key] if isinstance(v, Ref) else v for k, v in row.args.items()}
    query = {k: v.format(**world) for k, v in row.query.items()}
    return args, query
