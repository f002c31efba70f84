"""data: keys for the addresses already seen, and fraud flags for the blocks already made

Every seen address gets its sortable key (as helpdesk.rules.network.address_key spells it),
then every case whose customer was seen from an actively blocked address, or stored an
actively blocked card, is flagged, as making those blocks now would.

Revision ID: 0016_fraud_flags_data
Revises: 0016_search_stems_fraud_flags
"""

import ipaddress
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0016_fraud_flags_data"
down_revision = "0016_search_stems_fraud_flags"
branch_labels = None
depends_on = None

_V4_MAPPED = int(ipaddress.IPv6Address("::ffff:0:0"))


def _key(address):
    """A copy of rules.network.address_key at the time of writing (migrations stay fixed)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return f"{int(ip) + _V4_MAPPED if ip.version == 4 else int(ip):032x}"


def upgrade():
    conn = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = conn.execute(sa.text("SELECT id, ip_address FROM seen_addresses")).all()
    keys = [{"id": row.id, "k": _key(row.ip_address)} for row in rows]
    if keys:
        conn.execute(sa.text("UPDATE seen_addresses SET address_key = :k WHERE id = :id"), keys)

    # One (organisation, block) pair at a time: its first matching address names the reason.
    matches = conn.execute(
        sa.text(
            "SELECT u.organisation_id, b.id AS block_id, s.ip_address, s.user_id"
            " FROM seen_addresses s JOIN users u ON u.id = s.user_id"
            " JOIN blocked_ips b ON b.active AND s.address_key BETWEEN b.range_start"
            " AND b.range_end WHERE u.role = 'customer' AND u.organisation_id IS NOT NULL"
            " ORDER BY u.organisation_id, b.id, s.ip_address"
        )
    ).all()
    done = set()
    for org, block, address, user in matches:
        if (org, block) in done:
            continue
        done.add((org, block))
        conn.execute(
            sa.text(
                "INSERT INTO case_fraud_flags (case_id, blocked_ip_id, address, user_id,"
                " created_at) SELECT id, :block, :address, :user, :now FROM cases"
                " WHERE organisation_id = :org"
            ),
            {"block": block, "address": address, "user": user, "now": now, "org": org},
        )
    cards = conn.execute(
        sa.text(
            "SELECT DISTINCT p.organisation_id, b.id AS block_id, b.brand, b.last4"
            " FROM payment_cards p JOIN blocked_cards b"
            " ON b.active AND b.fingerprint = p.fingerprint"
        )
    ).all()
    for org, block, brand, last4 in cards:
        conn.execute(
            sa.text(
                "INSERT INTO case_fraud_flags (case_id, blocked_card_id, card_brand, card_last4,"
                " created_at) SELECT id, :block, :brand, :last4, :now FROM cases"
                " WHERE organisation_id = :org"
            ),
            {"block": block, "brand": brand, "last4": last4, "now": now, "org": org},
        )


def downgrade():
    op.execute("DELETE FROM case_fraud_flags")
    op.execute("UPDATE seen_addresses SET address_key = NULL")
