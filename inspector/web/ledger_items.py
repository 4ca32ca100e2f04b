"""The ledger inspection reads the records: each computed item with its figures, confirmed or overridden."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..core import scoring
from ..models import Inspection, Site
from ..services import inspections, ledger, ledger_items, rights, scope
from .ledger_common import CHECKLIST, bp, deadline_md, problems_of
from .work import unit_of_work


def _inspection(inspection_id: int) -> tuple[Inspection, Site]:
    """A ledger-checklist inspection of a community of the user's region, or 404."""
    session = get_db()
    found = scope.inspection(session=session, user=current_user.row, inspection_id=inspection_id) or abort(
        404, description="没有这次检查")
    spec = inspections.spec_for(session=session, inspection=found)
    if spec.id != CHECKLIST:
        abort(404, description="这次检查不是在职党员进社区台账检查")
    rights.require(current_user.row, "ledger_all")
    return found, session.get(Site, found.site_id)


def _computed(found: Inspection, site: Site) -> tuple[int, dict[str, ledger_items.Computed]]:
    """The inspection's year (its start's, else this year's) and the items the records answer for it."""
    year = found.started_at.year if found.started_at else today().year
    return year, ledger_items.compute_items(session=get_db(), site=site, year=year, as_of=today(),
                                            deadline_md=deadline_md())


def _inspection_page(found: Inspection, site: Site, *, problems=(), status: int = 200):
    """Each ledger item: the value computed from the records, the answer recorded, confirm or override."""
    session = get_db()
    spec = inspections.spec_for(session=session, inspection=found)
    year, computed = _computed(found, site)
    answers = inspections.answers_of(session=session, inspection=found)
    checks = ledger_items.checks_of(session=session, inspection=found)
    items = [(item, computed.get(item.id), answers.get(item.id), checks.get(item.id)) for item in spec.items()
             if item.id in ledger_items.COMPUTED_ITEMS]
    return render_template("ledger/inspection.html", inspection=found, site=site, items=items, year=year,
                           editable=inspections.may_edit(found, current_user.row), problems=list(problems)), status


@bp.get("/inspections/<int:inspection_id>")
@login_required
def inspection(inspection_id: int):
    """The ledger items of an inspection computed from the records, with links to them."""
    return _inspection_page(*_inspection(inspection_id))


@bp.post("/inspections/<int:inspection_id>/items/<item_id>")
@login_required
def decide(inspection_id: int, item_id: str):
    """Confirm the computed value or override it with a note; both are kept."""
    found, site = _inspection(inspection_id)
    rights.require(current_user.row, "ledger_confirm")
    session = get_db()
    spec = inspections.spec_for(session=session, inspection=found)
    item = spec.by_id.get(item_id) or abort(404, description="清单中没有这一项")
    computed = _computed(found, site)[1].get(item_id)
    override = None
    if request.form.get("decision") == "override":
        if item.kind == "rate":
            override = {"respondents": request.form.get("respondents", ""),
                        "satisfied": request.form.get("satisfied", "")}
        else:
            override = request.form.get("value", "")
    try:
        with unit_of_work():
            ledger_items.decide_item(session=session, inspection=found, item_id=item_id, kind=item.kind,
                                     computed=computed, override=override, note=request.form.get("note", ""),
                                     by=current_user.row)
    except (ledger.Invalid, ledger.LedgerError) as exc:
        return _inspection_page(found, site, problems=problems_of(exc), status=exc.status)
    except scoring.AnswerError as exc:  # an override that does not fit the item
        return _inspection_page(found, site, problems=[str(exc)], status=422)
    except (inspections.InspectionError, inspections.Conflict) as exc:
        return _inspection_page(found, site, problems=[str(exc) or "另一台设备刚保存了这一项，请刷新后再试"], status=409)
    return redirect(url_for("ledger.inspection", inspection_id=found.id) + f"#{item_id}", code=303)
