"""What the walk page of an inspection and its parts are built from: the inspection in the user's
scope (or 404), one item's context, the whole page's context and its sections. The views of
web/inspections.py (and review's) render them."""
from __future__ import annotations

import uuid

from flask import abort, request
from flask_login import current_user

from ..runtime import get_db
from ..core import scoring
from ..core.checklist import ChecklistSpec, Item
from ..models import Inspection, Site, User
from ..services import evidence, inspections, scope, workflow


def user() -> User:
    """The signed-in user's row."""
    return current_user.row


def inspection_or_404(inspection_id: int) -> tuple[Inspection, Site, ChecklistSpec]:
    """The inspection, its site and checklist, or 404."""
    session = get_db()
    inspection = scope.inspection(session=session, user=user(), inspection_id=inspection_id)
    if inspection is None:
        abort(404, description="没有这次检查")
    return inspection, session.get(Site, inspection.site_id), inspections.spec_for(session=session,
                                                                                  inspection=inspection)


def inspection_item(inspection_id: int, item_id: str) -> tuple[Inspection, Site, ChecklistSpec, Item]:
    """The inspection, its site and checklist, and one of its items, or 404."""
    inspection, site, spec = inspection_or_404(inspection_id)
    item = spec.by_id.get(item_id) or abort(404, description="清单中没有这个条目")
    return inspection, site, spec, item


def item_context(inspection, site, spec, item: Item, *, answer=None, error=None, conflict=None,
                  submitted=None, page=None):
    """What the item partial needs (taken from the page context when one was already built)."""
    session = get_db()
    photos_list = page["photos_by_item"].get(item.id, []) if page is not None else None
    if answer is None and page is not None:
        answer = page["answers"].get(item.id)
    elif answer is None:
        answer = inspections.answers_of(session=session, inspection=inspection).get(item.id)
    if photos_list is None:
        photos_list = evidence.photos_of(session=session, inspection=inspection).get(item.id, [])
    value = submitted if submitted is not None else (answer.value if answer else None)
    judgement = scoring.judge(item, answer.value if answer else None, tier=inspection.tier, site_type=site.site_type)
    return dict(inspection=inspection, site=site, spec=spec, item=item, answer=answer, value=value,
                judgement=judgement, photos=photos_list, error=error, conflict=conflict,
                client_id=uuid.uuid4().hex, editable=inspections.may_edit(inspection, user()))


def page_context(inspection, site, spec):
    """Everything the walk page and the progress bar need, in three queries."""
    session = get_db()
    answers = inspections.answers_of(session=session, inspection=inspection)
    photos_by_item = evidence.photos_of(session=session, inspection=inspection)
    verdict = inspections.decision(session=session, inspection=inspection, answers=answers)
    result = verdict.outcome
    prog = inspections.progress(spec, result, evidence.photo_counts(photos_by_item), site_type=site.site_type,
                                scope=inspection.scope_items, answered=answers)
    nonce = uuid.uuid4().hex[:16]  # one per page render: a re-sent form repeats its client id
    before = {}
    if inspection.follow_up_of_id is not None:  # a follow-up shows each item's finding before rectification
        original = session.get(Inspection, inspection.follow_up_of_id)
        before = {k: v for k, v in inspections.answers_of(session=session, inspection=original).items()
                  if k in (inspection.scope_items or ())}
    reasons = {}
    if inspection.round:
        for r in workflow.reasons_of(session=session, inspection=inspection):
            reasons.setdefault(r.item_id, []).append(r.reason)
    page = dict(inspection=inspection, site=site, spec=spec, answers=answers, photos_by_item=photos_by_item,
                outcome=result, decision=verdict, progress=prog, editable=inspections.may_edit(inspection, user()),
                new_client_id=lambda item_id: f"{nonce}-{item_id}", before=before, reasons=reasons,
                shown=(lambda it: it.id in inspection.scope_items) if inspection.scope_items else (lambda it: True))
    page["walk_sections"] = lambda open_items=(): sections(page, open_items=open_items, open_index=(
        "all" if request.args.get("open") == "all" else int_arg("open")))
    return page


# A walk page with more visible items than this opens only some of its sections: build-standard
# (39) and function-rooms (136) fold, so a budget phone lays out section headers, not 1,900
# elements. The others are kept for offline use in the background; "全部展开" opens them all, and
# the phone remembers that choice (docs/walk-page.md).
COLLAPSE_OVER = 30


def sections(page, *, open_items=(), open_index=None) -> list[dict]:
    """The sections of the walk page with their visible items and counts (未答, 不合格, 缺照片), and which are
    rendered open: all of a small checklist, or all with `open_index` "all" (?open=all); of a large one
    only `open_index` and those holding `open_items` (the item of an error, the item linked to), so its
    first visit stays light. The others load when opened."""
    inspection, site, outcome = page["inspection"], page["site"], page["outcome"]
    missing = set(page["progress"].missing_photo_items)
    out = []
    for index, section in enumerate(page["spec"].sections, start=1):
        visible = [it for it in section.items if it.applies(inspection.tier, site.site_type) and page["shown"](it)]
        if not visible:
            continue
        results = [outcome.judgements[it.id].result for it in visible]
        out.append(dict(index=index, title=section.title, items=visible, total=len(visible),
                        open_count=results.count(scoring.OPEN), fail=results.count(scoring.FAIL),
                        nophoto=sum(1 for it in visible if it.id in missing), open=False))
    if open_index == "all" or sum(s["total"] for s in out) <= COLLAPSE_OVER:  # ?open=all: every section
        for s in out:
            s["open"] = True
        return out
    for s in out:
        s["open"] = s["index"] == open_index or any(it.id in open_items for it in s["items"])
    return out


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None
