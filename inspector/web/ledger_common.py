"""What the ledger's pages share: the blueprint, the words for its templates, the year and deadline asked,
the community or member of the user's region (404 before any role check), a refusal's problems, and
printing through the report engine. The pages themselves are in web/ledger*.py, one module per job."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from ..runtime import ROOT, get_db, today
from ..core import ledger as core
from ..core import pdf, words
from ..models import LedgerMember, Site
from ..services import ledger, ledger_feedback, rights

bp = Blueprint("ledger", __name__, url_prefix="/ledger")

CHECKLIST = "service-ledger"
CARDS = {  # the source's attachments printed per member (004 附件)
    "letter": ("在职党员进社区报到证明信", "附件1"),
    "info": ("在职党员基本情况信息卡", "附件1"),
    "receipt": ("在职党员进社区报到回执", "附件2"),
    "record": ("在职党员进社区情况写实登记卡", "附件3"),
    "pledge": ("在职党员服务承诺卡", "附件4"),
    "contact": ("在职党员进社区联系对象档案卡", "附件8"),
}


@bp.context_processor
def _helpers():
    """Words and helpers for this area's templates."""
    return {"KINDS": core.KINDS, "PAIR_KINDS": core.PAIR_KINDS, "QUARTERS": core.QUARTER_NAMES,
            "RATINGS": ledger_feedback.RATINGS, "CARDS": CARDS, "hours": core.format_hours,
            "ANSWER": words.ANSWER_WORDS}


def problems_of(exc: Exception) -> list[str]:
    """A refusal's problems as the page lists them: every one of a form's, or its one reason."""
    return list(getattr(exc, "problems", None) or [str(exc)])


def deadline_md() -> tuple[int, int]:
    """The reporting deadline (month, day): LEDGER_REPORT_DEADLINE, 5月15日 in the source (三、工作措施 1)."""
    raw = str(current_app.config.get("LEDGER_REPORT_DEADLINE") or "05-15")
    month, day = (int(x) for x in raw.split("-"))
    return month, day


def asked_year() -> int:
    """The year asked for (?year=), this year by default."""
    raw = request.args.get("year", "") or request.form.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= today().year else today().year


def own_units() -> set[int] | None:
    """The units whose members a unit account sees (None: every member of the community)."""
    return ledger.unit_ids(session=get_db(), user=current_user.row)


def site_or_404(site_id: int, right: str = "ledger_view") -> Site:
    """A community of the user's region (else 404, before any role check), if the role has the right."""
    found = ledger.site(session=get_db(), user=current_user.row, site_id=site_id) or abort(
        404, description="没有这个社区（在职党员进社区台账只在社区建立）")
    rights.require(current_user.row, "ledger_view")
    rights.require(current_user.row, right)
    return found


def member_or_404(member_id: int, right: str = "ledger_view") -> tuple[LedgerMember, Site]:
    """A member of the user's region (else 404, before any role check) and their community."""
    session = get_db()
    found = ledger.member(session=session, user=current_user.row, member_id=member_id) or abort(
        404, description="没有这名在职党员")
    rights.require(current_user.row, "ledger_view")
    rights.require(current_user.row, right)
    return found, session.get(Site, found.site_id)


def pdf_response(template: str, filename: str, **context) -> Response:
    """A printable PDF through the report engine (WeasyPrint, Noto CJK); ?html=1 shows the HTML."""
    html = render_template(template, **context)
    if request.args.get("html"):
        return Response(html, mimetype="text/html")
    pdf.check_setup()
    media = Path(current_app.config["MEDIA_DIR"])
    data = pdf.render(html, base=media, roots=(media, ROOT / "static"))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    return response
