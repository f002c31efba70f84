"""The people CC'd on a case, on its page (issue 19 item 5); the portal has the same two routes."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from helpdesk.tracker.blueprint import CASE_READERS, bp
from helpdesk.web.access import get_case_or_404
from helpdesk.web.cc_views import cc_post
from helpdesk.web.guards import role_required


@bp.route("/cases/<int:number>/cc", methods=["POST"])
@role_required(*CASE_READERS)
def case_cc_add(number: int):
    """CC a colleague of the customer on the case."""
    case = get_case_or_404(number, current_user)
    back = url_for("tracker.case_view", number=number) + "#case-cc"
    return cc_post(case, adding=True, back=back)


@bp.route("/cases/<int:number>/cc/remove", methods=["POST"])
@role_required(*CASE_READERS)
def case_cc_remove(number: int):
    """Stop CC'ing someone on the case."""
    case = get_case_or_404(number, current_user)
    back = url_for("tracker.case_view", number=number) + "#case-cc"
    return cc_post(case, adding=False, back=back)
