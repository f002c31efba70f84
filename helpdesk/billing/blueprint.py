"""The payment manager blueprint, shared by its view modules; billing staff and admins only."""

from flask import Blueprint

from helpdesk.models import Role
from helpdesk.web.guards import gate_blueprint

bp = Blueprint("billing", __name__)
gate_blueprint(bp, Role.BILLING, Role.ADMIN)
MONEY_STAFF = (Role.BILLING, Role.ADMIN)
