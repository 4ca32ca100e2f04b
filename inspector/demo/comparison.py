"""Demo comparisons: the inspector's re-check of each submitted self-assessment, differing on a few items."""
from __future__ import annotations

import random

from sqlmodel import Session, select

from ..core import examples, scoring
from ..core.checklist import ChecklistSpec
from ..models import Region, Site, User
from ..services import comparison, inspections

DEMO_NOTES = ("现场查看与自评不符", "未见实物，自评材料不实", "面积实测不足", "制度未上墙", "台账缺少近三个月记录")


def load(*, session: Session, specs: dict[str, ChecklistSpec], seed: int = 2026) -> int:
    """Inspections for the demo county's submitted self-assessments that have none yet, differing on a few items.

    The demo inspector re-checks what the village answered: about one item in eight the village said
    passes is found failing (with a note why), one failing item is found passing. Returns how many
    inspections it added; does nothing outside the demo county or where a pair already exists.
    """
    inspector = session.exec(select(User).where(User.username == "inspector", User.role == "inspector")).first()
    county = session.exec(select(Region).where(Region.code == "320322")).first()
    if inspector is None or county is None:
        return 0
    rnd = random.Random(seed)
    made, paired = 0, set()
    for own in comparison.unpaired_self_assessments(session=session, region=county):
        if own.site_id in paired:
            continue
        own_spec = inspections.spec_for(session=session, inspection=own)
        spec = specs.get(own_spec.id)
        if spec is None or "inspection" not in spec.purposes:
            continue
        site = session.get(Site, own.site_id)
        theirs = inspections.start(session=session, site=site, spec=spec, purpose="inspection", tier=own.tier,
                                   by=inspector)
        _recheck(session=session, spec=spec, own=own, theirs=theirs, site=site, inspector=inspector, rnd=rnd)
        inspections.submit(session=session, inspection=theirs, by=inspector)
        paired.add(site.id)
        made += 1
    return made


def _recheck(*, session: Session, spec: ChecklistSpec, own, theirs, site: Site, inspector: User,
             rnd: random.Random) -> None:
    """The inspector's answers: the village's, except about one pass in eight found failing (with a
    note why) and the first fail found passing; an item the village left open is answered passing."""
    answers = inspections.answers_of(session=session, inspection=own)
    flipped_up = False
    for item in spec.items():
        if not item.applies(own.tier, site.site_type):
            continue
        answer = answers.get(item.id)
        value, note = (answer.value if answer else None), None
        if value is None:
            value = examples.value_for(item, item.rule_for(own.tier, site.site_type), True, rnd)
        elif answer.result == scoring.PASS and item.kind != "text" and rnd.random() < 0.125:
            value, note = examples.value_for(item, item.rule_for(own.tier, site.site_type), False, rnd), rnd.choice(DEMO_NOTES)
        elif answer.result == scoring.FAIL and not flipped_up:
            value, note, flipped_up = examples.value_for(item, item.rule_for(own.tier, site.site_type), True, rnd), \
                "现场已整改到位", True
        inspections.record_answer(session=session, inspection=theirs, item_id=item.id, raw=value, note=note,
                                  by=inspector)
