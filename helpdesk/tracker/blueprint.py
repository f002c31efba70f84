"""The tracker blueprint, shared by its view modules; agents and administrators, and billing
staff on the case pages they work (each view names its roles)."""

from flask import Blueprint

from helpdesk.models import Role
from helpdesk.web.guards import gate_blueprint

bp = Blueprint("tracker", __name__)
gate_blueprint(bp, Role.AGENT, Role.BILLING, Role.ADMIN)
STAFF = (Role.AGENT, Role.ADMIN)
# Billing staff open case pages to read, add notes and move money (rules.billing_access).
CASE_READERS = (Role.AGENT, Role.BILLING, Role.ADMIN)
