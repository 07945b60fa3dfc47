from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from crm.blueprints.main import bp
from crm.permissions import can
from crm.services.dashboard import officer_dashboard


@bp.route("/")
@login_required
def index():
    if current_user.role == "cadre":
        return redirect(url_for("assignments.caseload", user_id=current_user.id))
    if can(current_user, "dashboard.officer"):
        return render_template("main/officer.html", data=officer_dashboard(current_user))
    return render_template("main/home.html")
