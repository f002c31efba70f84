"""initial schema

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-24 06:22:28.939207

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('canned_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('customers_only', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_responses')),
    sa.UniqueConstraint('key', name=op.f('uq_canned_responses_key'))
    )
    op.create_table('case_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_actions')),
    sa.UniqueConstraint('name', name=op.f('uq_case_actions_name'))
    )
    op.create_table('case_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_types')),
    sa.UniqueConstraint('name', name=op.f('uq_case_types_name'))
    )
    op.create_table('counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('day', name=op.f('uq_holidays_day'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('customer_number', sa.String(length=32), nullable=False),
    sa.Column('partner_id', sa.String(length=32), nullable=True),
    sa.Column('reseller_id', sa.Integer(), nullable=True),
    sa.Column('is_reseller', sa.Boolean(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('after_hours_support', sa.Boolean(), nullable=False),
    sa.Column('prepaid_balance_cents', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('prepaid_balance_cents >= 0', name=op.f('ck_organisations_prepaid_not_negative')),
    sa.ForeignKeyConstraint(['reseller_id'], ['organisations.id'], name=op.f('fk_organisations_reseller_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('customer_number', name=op.f('uq_organisations_customer_number'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_reseller_id'), ['reseller_id'], unique=False)

    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('product', sa.String(length=120), nullable=True),
    sa.Column('percent_off', sa.Integer(), nullable=True),
    sa.Column('amount_off_cents', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_off_cents IS NULL OR amount_off_cents > 0', name=op.f('ck_promotions_amount')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_promotions_dates')),
    sa.CheckConstraint('percent_off IS NULL OR percent_off BETWEEN 1 AND 100', name=op.f('ck_promotions_percent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    sa.UniqueConstraint('code', name=op.f('uq_promotions_code'))
    )
    op.create_table('service_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('monthly_cents', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('monthly_cents >= 0', name=op.f('ck_service_plans_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_plans')),
    sa.UniqueConstraint('name', name=op.f('uq_service_plans_name'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('call_shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('booths', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_call_shops_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_shops'))
    )
    with op.batch_alter_table('call_shops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_shops_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_shops_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('case_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_type_id'], ['case_types.id'], name=op.f('fk_case_reasons_case_type_id_case_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reasons')),
    sa.UniqueConstraint('case_type_id', 'name', name='type_reason')
    )
    with op.batch_alter_table('case_reasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_reasons_case_type_id'), ['case_type_id'], unique=False)

    op.create_table('isp_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.String(length=120), nullable=False),
    sa.Column('access_login', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_isp_services_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_isp_services'))
    )
    with op.batch_alter_table('isp_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_isp_services_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('payment_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('brand', sa.String(length=20), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('exp_month', sa.SmallInteger(), nullable=False),
    sa.Column('exp_year', sa.SmallInteger(), nullable=False),
    sa.Column('processor_token', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('exp_month BETWEEN 1 AND 12', name=op.f('ck_payment_cards_exp_month')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_payment_cards_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_cards')),
    sa.UniqueConstraint('processor_token', name=op.f('uq_payment_cards_processor_token'))
    )
    with op.batch_alter_table('payment_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_cards_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_cards_last4'), ['last4'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_cards_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('phone_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('forward_to', sa.String(length=40), nullable=True),
    sa.Column('ported', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_phone_numbers_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_numbers'))
    )
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_numbers_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_numbers_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('recurring_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('flat_rate', 'monthly_package', 'number_porting', name='recurring_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('next_charge_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_recurring_payments_amount_positive')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_recurring_payments_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recurring_payments'))
    )
    with op.batch_alter_table('recurring_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recurring_payments_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.Enum('customer', 'agent', 'billing', 'admin', name='user_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.SmallInteger(), nullable=True),
    sa.Column('agent_status', sa.Enum('available', 'on_phone', 'email_support', 'training', 'away', name='agent_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('away_until', sa.DateTime(), nullable=True),
    sa.Column('status_note', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role <> 'customer' OR organisation_id IS NOT NULL", name=op.f('ck_users_customer_has_organisation')),
    sa.CheckConstraint('tier IS NULL OR tier BETWEEN 1 AND 3', name=op.f('ck_users_tier_range')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)
        batch_op.create_index('ix_users_role_tier', ['role', 'tier'], unique=False)

    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=300), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'internal', name='article_visibility', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('link_count', sa.Integer(), nullable=False),
    sa.Column('deflection_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_articles_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('slug', name=op.f('uq_articles_slug'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_visibility_updated', ['visibility', 'updated_at'], unique=False)

    op.create_table('audit_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_logs_actor_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_audit_logs_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_logs'))
    )
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_logs_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_logs_created', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_logs_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('blocked_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('brand', sa.String(length=20), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('unblocked_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('unblocked_at', sa.DateTime(), nullable=True),
    sa.Column('unblock_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_blocked_cards_created_by_id_users')),
    sa.ForeignKeyConstraint(['unblocked_by_id'], ['users.id'], name=op.f('fk_blocked_cards_unblocked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_cards'))
    )
    with op.batch_alter_table('blocked_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blocked_cards_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('blocked_ips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=49), nullable=False),
    sa.Column('range_start', sa.String(length=32), nullable=False),
    sa.Column('range_end', sa.String(length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('unblocked_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('unblocked_at', sa.DateTime(), nullable=True),
    sa.Column('unblock_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('range_start <= range_end', name=op.f('ck_blocked_ips_range_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_blocked_ips_created_by_id_users')),
    sa.ForeignKeyConstraint(['unblocked_by_id'], ['users.id'], name=op.f('fk_blocked_ips_unblocked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_ips'))
    )
    with op.batch_alter_table('blocked_ips', schema=None) as batch_op:
        batch_op.create_index('ix_blocked_ips_active_range', ['active', 'range_start', 'range_end'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('position', sa.String(length=120), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('former_employee', sa.Boolean(), nullable=False),
    sa.Column('former_note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contacts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contacts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_user_id'), ['user_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('purchaser_id', sa.Integer(), nullable=True),
    sa.Column('product', sa.String(length=120), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.Enum('purchase', 'evaluation', 'hosting', 'priority_support', 'maintenance', name='order_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'paid', 'cancelled', name='order_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ordered_at', sa.DateTime(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('licensed_website', sa.String(length=253), nullable=True),
    sa.Column('licence_key', sa.String(length=64), nullable=True),
    sa.Column('partner_id', sa.String(length=32), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_orders_amount')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_orders_quantity')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_orders_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_orders_promotion_id_promotions')),
    sa.ForeignKeyConstraint(['purchaser_id'], ['users.id'], name=op.f('fk_orders_purchaser_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_licence_key'), ['licence_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_licensed_website'), ['licensed_website'], unique=False)
        batch_op.create_index('ix_orders_organisation_ordered', ['organisation_id', 'ordered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_product'), ['product'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_purchaser_id'), ['purchaser_id'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=True),
    sa.Column('case_reason_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('licence_key', 'support', 'customisation', 'hosting', 'bug_report', 'other', name='routing_category', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('fallback_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_routing_rules_assignee_id_users')),
    sa.ForeignKeyConstraint(['case_reason_id'], ['case_reasons.id'], name=op.f('fk_routing_rules_case_reason_id_case_reasons')),
    sa.ForeignKeyConstraint(['case_type_id'], ['case_types.id'], name=op.f('fk_routing_rules_case_type_id_case_types')),
    sa.ForeignKeyConstraint(['fallback_id'], ['users.id'], name=op.f('fk_routing_rules_fallback_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    op.create_table('seen_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_seen_addresses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seen_addresses')),
    sa.UniqueConstraint('user_id', 'ip_address', name='user_address')
    )
    with op.batch_alter_table('seen_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_addresses_ip_address'), ['ip_address'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('phone_number_id', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_subscriptions_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['phone_number_id'], ['phone_numbers.id'], name=op.f('fk_subscriptions_phone_number_id_phone_numbers')),
    sa.ForeignKeyConstraint(['plan_id'], ['service_plans.id'], name=op.f('fk_subscriptions_plan_id_service_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_plan_id'), ['plan_id'], unique=False)

    op.create_table('article_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_revisions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_article_revisions_edited_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions'))
    )
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_revisions_article_id'), ['article_id'], unique=False)

    op.create_table('blocked_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('registration', 'account', 'order', name='blocked_attempt_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('blocked_ip_id', sa.Integer(), nullable=True),
    sa.Column('blocked_card_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blocked_card_id'], ['blocked_cards.id'], name=op.f('fk_blocked_attempts_blocked_card_id_blocked_cards')),
    sa.ForeignKeyConstraint(['blocked_ip_id'], ['blocked_ips.id'], name=op.f('fk_blocked_attempts_blocked_ip_id_blocked_ips')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_attempts'))
    )
    with op.batch_alter_table('blocked_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_blocked_attempts_created', ['created_at'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('correspondent_email', sa.String(length=254), nullable=True),
    sa.Column('callback_phone', sa.String(length=40), nullable=True),
    sa.Column('origin', sa.Enum('web', 'email', 'phone', 'generated', name='case_origin', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('category', sa.Enum('licence_key', 'support', 'customisation', 'hosting', 'bug_report', 'other', name='case_category', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('case_type_id', sa.Integer(), nullable=True),
    sa.Column('case_reason_id', sa.Integer(), nullable=True),
    sa.Column('product_version', sa.String(length=40), nullable=True),
    sa.Column('operating_system', sa.String(length=80), nullable=True),
    sa.Column('status', sa.Enum('new', 'open', 'answered', 'waiting', 'closed', name='case_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('tier', sa.SmallInteger(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('priority_score', sa.Integer(), nullable=False),
    sa.Column('priority_factors', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('awaiting_agent_since', sa.DateTime(), nullable=True),
    sa.Column('first_response_at', sa.DateTime(), nullable=True),
    sa.Column('last_agent_reply_at', sa.DateTime(), nullable=True),
    sa.Column('last_customer_reply_at', sa.DateTime(), nullable=True),
    sa.Column('customer_viewed_at', sa.DateTime(), nullable=True),
    sa.Column('sla_due_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('cloned_from_id', sa.Integer(), nullable=True),
    sa.Column('estimate_minutes', sa.Integer(), nullable=True),
    sa.Column('tier2_kind', sa.Enum('bug', 'enhancement', name='tier2_kind', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('criticality', sa.Enum('low', 'normal', 'high', 'critical', name='criticality', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('tier2_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('estimate_minutes IS NULL OR estimate_minutes >= 0', name=op.f('ck_cases_estimate')),
    sa.CheckConstraint('tier BETWEEN 1 AND 3', name=op.f('ck_cases_tier_range')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['case_reason_id'], ['case_reasons.id'], name=op.f('fk_cases_case_reason_id_case_reasons')),
    sa.ForeignKeyConstraint(['case_type_id'], ['case_types.id'], name=op.f('fk_cases_case_type_id_case_types')),
    sa.ForeignKeyConstraint(['cloned_from_id'], ['cases.id'], name=op.f('fk_cases_cloned_from_id_cases')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_cases_closed_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_cases_order_id_orders')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cases_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['parent_id'], ['cases.id'], name=op.f('fk_cases_parent_id_cases')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_cases_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_assignee_folder', ['assignee_id', 'status', 'priority_score', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_case_type_id'), ['case_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_cloned_from_id'), ['cloned_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_correspondent_email'), ['correspondent_email'], unique=False)
        batch_op.create_index('ix_cases_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_cases_organisation_updated', ['organisation_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_cases_origin_created', ['origin', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_cases_sla_due', ['status', 'sla_due_at'], unique=False)
        batch_op.create_index('ix_cases_status_answered', ['status', 'last_agent_reply_at'], unique=False)
        batch_op.create_index('ix_cases_status_awaiting', ['status', 'awaiting_agent_since'], unique=False)
        batch_op.create_index('ix_cases_status_closed', ['status', 'closed_at'], unique=False)
        batch_op.create_index('ix_cases_tier_status', ['tier', 'status'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'paid', 'void', name='invoice_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('total_cents >= 0', name=op.f('ck_invoices_total')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoices_order_id_orders')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_invoices_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_invoices_organisation_status_issued', ['organisation_id', 'status', 'issued_on'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('pending', 'packed', 'shipped', name='shipment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=True),
    sa.Column('carrier', sa.String(length=60), nullable=True),
    sa.Column('tracking_number', sa.String(length=80), nullable=True),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status <> 'shipped' OR tracking_number IS NOT NULL", name=op.f('ck_shipments_shipped_has_tracking')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipments_order_id_orders')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_shipments_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_shipments_status_scheduled', ['status', 'scheduled_on'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('call', 'action', 'status', 'assignment', 'priority', 'link', 'mail', name='activity_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['case_actions.id'], name=op.f('fk_activities_action_id_case_actions')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_activities_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_activities_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_activities_case_created', ['case_id', 'created_at'], unique=False)

    op.create_table('case_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('linked_case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('related', 'duplicate', name='link_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('case_id <> linked_case_id', name=op.f('ck_case_links_not_self')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['linked_case_id'], ['cases.id'], name=op.f('fk_case_links_linked_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links')),
    sa.UniqueConstraint('case_id', 'linked_case_id', name='case_pair')
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_links_linked_case_id'), ['linked_case_id'], unique=False)

    op.create_table('inbound_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('from_address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=998), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum('received', 'processed', 'ignored', 'quarantined', name='inbound_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_inbound_mails_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_mails_message_id'))
    )
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mails_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_inbound_mails_status_created', ['status', 'created_at'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_email', sa.String(length=254), nullable=True),
    sa.Column('kind', sa.Enum('reply', 'note', name='message_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('from_customer', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.Enum('web', 'email', 'phone', 'generated', name='message_origin', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('email_message_id', sa.String(length=998), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_messages_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_messages_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('email_message_id', name=op.f('uq_messages_email_message_id'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_messages_case_created', ['case_id', 'created_at'], unique=False)

    op.create_table('outbox_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('to_name', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('template_key', sa.String(length=60), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', name='outbox_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_mails_case_id_cases')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_outbox_mails_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_mails_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_mails_message_id'))
    )
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_mails_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_outbox_mails_organisation_created', ['organisation_id', 'created_at'], unique=False)
        batch_op.create_index('ix_outbox_mails_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mails_user_id'), ['user_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('card', 'prepaid', 'bank', name='payment_method', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('succeeded', 'failed', 'pending', name='payment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('processor_reference', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('refunded_cents >= 0 AND refunded_cents <= amount_cents', name=op.f('ck_payments_refund_within_amount')),
    sa.ForeignKeyConstraint(['card_id'], ['payment_cards.id'], name=op.f('fk_payments_card_id_payment_cards')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_payments_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_card_id'), ['card_id'], unique=False)
        batch_op.create_index('ix_payments_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_payments_organisation_created', ['organisation_id', 'created_at'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_attachments_size')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_attachments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_attachments_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_attachments_uploader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_message_id'), ['message_id'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('destination', sa.Enum('card', 'prepaid', name='refund_destination', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_refunds_amount_positive')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_refunds_reason_required')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_refunds_created_by_id_users')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)

    op.create_table('prepaid_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_cents <> 0', name=op.f('ck_prepaid_entries_amount_nonzero')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_prepaid_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_prepaid_entries_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_prepaid_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_prepaid_entries_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepaid_entries'))
    )
    with op.batch_alter_table('prepaid_entries', schema=None) as batch_op:
        batch_op.create_index('ix_prepaid_entries_organisation_created', ['organisation_id', 'created_at'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('prepaid_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_prepaid_entries_organisation_created')

    op.drop_table('prepaid_entries')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))
        batch_op.drop_index('ix_refunds_created')

    op.drop_table('refunds')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_message_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_case_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_organisation_created')
        batch_op.drop_index(batch_op.f('ix_payments_order_id'))
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))
        batch_op.drop_index('ix_payments_created')
        batch_op.drop_index(batch_op.f('ix_payments_card_id'))

    op.drop_table('payments')
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mails_user_id'))
        batch_op.drop_index('ix_outbox_mails_status_next')
        batch_op.drop_index('ix_outbox_mails_organisation_created')
        batch_op.drop_index(batch_op.f('ix_outbox_mails_case_id'))

    op.drop_table('outbox_mails')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_case_created')
        batch_op.drop_index(batch_op.f('ix_messages_author_id'))

    op.drop_table('messages')
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_mails_status_created')
        batch_op.drop_index(batch_op.f('ix_inbound_mails_case_id'))

    op.drop_table('inbound_mails')
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_links_linked_case_id'))

    op.drop_table('case_links')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_case_created')
        batch_op.drop_index(batch_op.f('ix_activities_actor_id'))

    op.drop_table('activities')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_status_scheduled')
        batch_op.drop_index(batch_op.f('ix_shipments_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_order_id'))

    op.drop_table('shipments')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_organisation_status_issued')
        batch_op.drop_index(batch_op.f('ix_invoices_order_id'))

    op.drop_table('invoices')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_tier_status')
        batch_op.drop_index('ix_cases_status_closed')
        batch_op.drop_index('ix_cases_status_awaiting')
        batch_op.drop_index('ix_cases_status_answered')
        batch_op.drop_index('ix_cases_sla_due')
        batch_op.drop_index(batch_op.f('ix_cases_requester_id'))
        batch_op.drop_index(batch_op.f('ix_cases_parent_id'))
        batch_op.drop_index('ix_cases_origin_created')
        batch_op.drop_index('ix_cases_organisation_updated')
        batch_op.drop_index(batch_op.f('ix_cases_order_id'))
        batch_op.drop_index('ix_cases_created')
        batch_op.drop_index(batch_op.f('ix_cases_correspondent_email'))
        batch_op.drop_index(batch_op.f('ix_cases_cloned_from_id'))
        batch_op.drop_index(batch_op.f('ix_cases_case_type_id'))
        batch_op.drop_index('ix_cases_assignee_folder')

    op.drop_table('cases')
    with op.batch_alter_table('blocked_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_blocked_attempts_created')

    op.drop_table('blocked_attempts')
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_revisions_article_id'))

    op.drop_table('article_revisions')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_plan_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_organisation_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('seen_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_addresses_ip_address'))

    op.drop_table('seen_addresses')
    op.drop_table('routing_rules')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_purchaser_id'))
        batch_op.drop_index(batch_op.f('ix_orders_product'))
        batch_op.drop_index(batch_op.f('ix_orders_partner_id'))
        batch_op.drop_index('ix_orders_organisation_ordered')
        batch_op.drop_index(batch_op.f('ix_orders_licensed_website'))
        batch_op.drop_index(batch_op.f('ix_orders_licence_key'))

    op.drop_table('orders')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_user_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_phone'))
        batch_op.drop_index(batch_op.f('ix_contacts_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_name'))
        batch_op.drop_index(batch_op.f('ix_contacts_email'))

    op.drop_table('contacts')
    with op.batch_alter_table('blocked_ips', schema=None) as batch_op:
        batch_op.drop_index('ix_blocked_ips_active_range')

    op.drop_table('blocked_ips')
    with op.batch_alter_table('blocked_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blocked_cards_fingerprint'))

    op.drop_table('blocked_cards')
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_logs_organisation_id'))
        batch_op.drop_index('ix_audit_logs_object')
        batch_op.drop_index('ix_audit_logs_created')
        batch_op.drop_index(batch_op.f('ix_audit_logs_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_logs_action'))

    op.drop_table('audit_logs')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_visibility_updated')

    op.drop_table('articles')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_role_tier')
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    with op.batch_alter_table('recurring_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recurring_payments_organisation_id'))

    op.drop_table('recurring_payments')
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_numbers_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_phone_numbers_number'))

    op.drop_table('phone_numbers')
    with op.batch_alter_table('payment_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_cards_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_payment_cards_last4'))
        batch_op.drop_index(batch_op.f('ix_payment_cards_fingerprint'))

    op.drop_table('payment_cards')
    with op.batch_alter_table('isp_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_isp_services_organisation_id'))

    op.drop_table('isp_services')
    with op.batch_alter_table('case_reasons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_reasons_case_type_id'))

    op.drop_table('case_reasons')
    with op.batch_alter_table('call_shops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_shops_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_call_shops_name'))

    op.drop_table('call_shops')
    op.drop_table('settings')
    op.drop_table('service_plans')
    op.drop_table('promotions')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_reseller_id'))
        batch_op.drop_index(batch_op.f('ix_organisations_partner_id'))
        batch_op.drop_index(batch_op.f('ix_organisations_name'))

    op.drop_table('organisations')
    op.drop_table('holidays')
    op.drop_table('counters')
    op.drop_table('case_types')
    op.drop_table('case_actions')
    op.drop_table('canned_responses')
    
