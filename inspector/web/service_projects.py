"""Party–mass service projects (seed 003): survey, design, review, notice, activities, summary, evaluation, library."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from ..services import rights
from flask_login import current_user

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.get("/")
@login_required
def index():
    """The projects of the user's region."""
    rights.require(current_user.row, "projects_view")
    return render_template("ledger/projects_index.html", rows=[])
