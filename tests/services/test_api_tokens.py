"""Personal access tokens: made with only their hash stored, scoped to the owner's role,
revoked by their owner or an administrator, every change audited; and checked on each use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ApiToken, AuditLog, Role
from helpdesk.rules import api_tokens as rules
from helpdesk.services import ServiceError
from helpdesk.services.accounts import api_tokens
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("ctx")

NOW = datetime(2027, 1, 15, 8, 0)


def make(user, **overrides) -> api_tokens.NewToken:
    fields = {"name": "Shop", "scopes": ["cases:read"], "expires_in_days": 30, "now": NOW}
    return api_tokens.create(user, **{**fields, **overrides})


def audit_rows(action: str) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        )
    )


def test_create_stores_only_the_hash_and_returns_the_secret_once():
    agent = make_user(Role.AGENT)
    new = make(agent, scopes=["cases:write", "cases:read"], ip_address="192.0.2.7")
    assert rules.TOKEN_PATTERN.fullmatch(new.secret)
    assert new.secret.startswith("hdp_")
    row = db.session.get(ApiToken, new.token.id)
    assert row.token_hash == rules.digest(new.secret)
    assert row.prefix == new.secret[: rules.SHOWN_CHARACTERS]
    assert row.scopes == "cases:read cases:write"  # in the order SCOPES lists them
    assert row.expires_at == NOW + timedelta(days=30)
    assert row.created_at == NOW
    assert row.last_used_at is None and row.revoked_at is None
    stored = [getattr(row, column.key) for column in ApiToken.__table__.columns]
    assert new.secret not in [str(value) for value in stored]
    assert not hasattr(row, "secret")


def test_each_token_is_new():
    agent = make_user(Role.AGENT)
    secrets = {make(agent).secret for _ in range(5)}
    assert len(secrets) == 5


def test_create_is_audited_without_the_secret():
    agent = make_user(Role.AGENT)
    new = make(agent, ip_address="192.0.2.7")
    (entry,) = audit_rows("api_token.create")
    assert entry.actor_id == agent.id
    assert (entry.object_type, entry.object_id) == ("ApiToken", new.token.id)
    assert entry.ip_address == "192.0.2.7"
    assert entry.details["name"] == "Shop"
    assert entry.details["scopes"] == ["cases:read"]
    assert entry.details["expires_at"] == (NOW + timedelta(days=30)).isoformat()
    assert new.secret not in str(entry.details)
    assert new.secret[rules.SHOWN_CHARACTERS :] not in str(entry.details)


@pytest.mark.parametrize("days", rules.EXPIRY_DAYS)
def test_expiry_is_counted_from_now(days):
    new = make(make_user(Role.AGENT), expires_in_days=days)
    assert new.token.expires_at == NOW + timedelta(days=days)


@pytest.mark.parametrize(
    ("role", "billing_permission", "scopes"),
    [
        (Role.AGENT, False, ["billing"]),
        (Role.AGENT, False, ["cases:read", "billing"]),
        (Role.BILLING, False, ["articles:write"]),
    ],
)
def test_scopes_beyond_the_role_are_refused(role, billing_permission, scopes):
    user = make_user(role, billing_permission=billing_permission)
    with pytest.raises(ServiceError) as refused:
        make(user, scopes=scopes)
    assert refused.value.field == "scopes"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert audit_rows("api_token.create") == []


def test_an_agent_with_the_billing_permission_may_grant_billing():
    agent = make_user(Role.AGENT, billing_permission=True)
    assert make(agent, scopes=["billing"]).token.scope_list == ["billing"]


def test_an_administrator_may_grant_every_scope():
    admin = make_user(Role.ADMIN)
    assert make(admin, scopes=list(rules.SCOPES)).token.scope_list == list(rules.SCOPES)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["cases:delete"]}, "scopes"),
        ({"scopes": ["x" * 5000]}, "scopes"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * (rules.NAME_MAX + 1)}, "name"),
        ({"name": "Shop\x00"}, "name"),
        ({"name": "Shop\nline"}, "name"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 31}, "expires_in_days"),
        ({"expires_in_days": 10**30}, "expires_in_days"),
    ],
)
def test_bad_input_is_refused_with_its_field(overrides, field):
    with pytest.raises(ServiceError) as refused:
        make(make_user(Role.AGENT), **overrides)
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_name_is_kept_trimmed():
    assert make(make_user(Role.AGENT), name="  Chat widget ").token.name == "Chat widget"


def test_customers_hold_no_tokens():
    customer = make_user(Role.CUSTOMER)
    assert not api_tokens.may_hold_tokens(customer)
    with pytest.raises(ServiceError):
        make(customer)
    assert audit_rows("api_token.create") == []


def test_a_deactivated_staff_member_makes_no_token():
    agent = make_user(Role.AGENT, active=False)
    assert not api_tokens.may_hold_tokens(agent)
    with pytest.raises(ServiceError):
        make(agent)


@pytest.mark.parametrize("role", [Role.AGENT, Role.BILLING, Role.ADMIN])
def test_staff_may_hold_tokens(role):
    assert api_tokens.may_hold_tokens(make_user(role))


# -- revoking --
def test_the_owner_revokes_and_it_is_audited():
    agent = make_user(Role.AGENT)
    token = make(agent).token
    later = NOW + timedelta(hours=1)
    api_tokens.revoke(agent, token, now=later, ip_address="192.0.2.8")
    assert token.revoked_at == later
    assert token.revoked_by_id == agent.id
    (entry,) = audit_rows("api_token.revoke")
    assert entry.actor_id == agent.id
    assert (entry.object_type, entry.object_id) == ("ApiToken", token.id)
    assert entry.ip_address == "192.0.2.8"
    assert entry.details == {"name": "Shop", "owner_id": agent.id}


def test_an_administrator_revokes_anyones_token():
    agent, admin = make_user(Role.AGENT), make_user(Role.ADMIN)
    token = make(agent).token
    api_tokens.revoke(admin, token)
    assert token.revoked_by_id == admin.id
    (entry,) = audit_rows("api_token.revoke")
    assert entry.actor_id == admin.id and entry.details["owner_id"] == agent.id


@pytest.mark.parametrize("other_role", [Role.AGENT, Role.BILLING, Role.CUSTOMER])
def test_nobody_else_revokes(other_role):
    token = make(make_user(Role.AGENT)).token
    with pytest.raises(ServiceError):
        api_tokens.revoke(make_user(other_role), token)
    assert token.revoked_at is None
    assert audit_rows("api_token.revoke") == []


def test_a_token_is_revoked_once():
    agent = make_user(Role.AGENT)
    token = make(agent).token
    api_tokens.revoke(agent, token)
    with pytest.raises(ServiceError):
        api_tokens.revoke(agent, token)
    assert len(audit_rows("api_token.revoke")) == 1


# -- lists --
def test_lists_of_tokens():
    agent, other, admin = make_user(Role.AGENT), make_user(Role.BILLING), make_user(Role.ADMIN)
    first = make(agent, name="First").token
    second = make(agent, name="Second", now=NOW + timedelta(minutes=1)).token
    theirs = make(other, name="Theirs", now=NOW + timedelta(minutes=2)).token
    api_tokens.revoke(agent, first)
    assert [t.name for t in api_tokens.tokens_of(agent)] == ["Second", "First"]
    assert [t.name for t in api_tokens.all_tokens()] == ["Theirs", "Second"]
    assert [t.name for t in api_tokens.all_tokens(include_revoked=True)] == [
        "Theirs",
        "Second",
        "First",
    ]
    assert api_tokens.token_of(agent, second.id) is second
    assert api_tokens.token_of(agent, theirs.id) is None  # not theirs
    assert api_tokens.token_of(admin, theirs.id) is theirs
    assert api_tokens.token_of(admin, 10**9) is None


# -- using a token --
def test_authenticate_records_the_use():
    agent = make_user(Role.AGENT)
    new = make(agent, scopes=["cases:read", "cases:write"])
    used = NOW + timedelta(days=1)
    holder = api_tokens.authenticate(new.secret, now=used, ip_address="198.51.100.4")
    assert holder.user.id == agent.id
    assert holder.token.id == new.token.id
    assert holder.scopes == {"cases:read", "cases:write"}
    db.session.expire_all()
    row = db.session.get(ApiToken, new.token.id)
    assert row.last_used_at == used
    assert row.last_used_ip == "198.51.100.4"


def test_authenticate_refuses_an_unknown_token():
    make(make_user(Role.AGENT))
    with pytest.raises(api_tokens.Refused):
        api_tokens.authenticate("hdp_" + "A" * 43, now=NOW)


def test_authenticate_refuses_a_revoked_token():
    agent = make_user(Role.AGENT)
    new = make(agent)
    api_tokens.revoke(agent, new.token)
    with pytest.raises(api_tokens.Refused, match="revoked"):
        api_tokens.authenticate(new.secret, now=NOW)
    db.session.expire_all()
    assert db.session.get(ApiToken, new.token.id).last_used_at is None


def test_authenticate_refuses_an_expired_token():
    new = make(make_user(Role.AGENT), expires_in_days=7)
    api_tokens.authenticate(new.secret, now=NOW + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(api_tokens.Refused, match="expired"):
        api_tokens.authenticate(new.secret, now=NOW + timedelta(days=7))


def test_authenticate_refuses_a_deactivated_owner():
    agent = make_user(Role.AGENT)
    new = make(agent)
    agent.active = False
    db.session.commit()
    with pytest.raises(api_tokens.Refused):
        api_tokens.authenticate(new.secret, now=NOW)


def test_a_lost_permission_cuts_the_scopes_at_once():
    agent = make_user(Role.AGENT, billing_permission=True)
    new = make(agent, scopes=["cases:read", "billing"])
    assert api_tokens.authenticate(new.secret, now=NOW).scopes == {"cases:read", "billing"}
    agent.billing_permission = False
    db.session.commit()
    assert api_tokens.authenticate(new.secret, now=NOW).scopes == {"cases:read"}


def test_a_token_left_with_no_scope_is_refused():
    agent = make_user(Role.AGENT, billing_permission=True)
    new = make(agent, scopes=["billing"])
    agent.billing_permission = False
    db.session.commit()
    with pytest.raises(api_tokens.Refused):
        api_tokens.authenticate(new.secret, now=NOW)
