"""The tracker blueprint, shared by its view modules; agents and administrators only."""

from flask import Blueprint

from helpdesk.models import Role
from helpdesk.web.guards import gate_blueprint

bp = Blueprint("tracker", __name__)
gate_blueprint(bp, Role.AGENT, Role.ADMIN)
STAFF = (Role.AGENT, Role.ADMIN)
