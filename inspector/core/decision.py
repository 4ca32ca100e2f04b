"""The decision an inspection's answers lead to: accepted or not, the subsidy, the title, and why.

Pure: answers, notes and the site's approved category in, one `Decision` out. Every page, report
and export shows this decision (services.inspections.decision builds its inputs).

- Completion acceptance (002 篇六 三): judged against the site's approved category alone; passing
  pays that category's amount, anything else pays 0 ("不予拨付") with the reasons; no fallback to
  another category ("also meets …" is information only).
- Every other purpose: the checklist's verdict (002 篇五 for the red-landmark title: every 5.x met).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from . import scoring
from .checklist import ChecklistSpec

# what passing / not passing means, per purpose
HEADLINES = {
    "completion_acceptance": ("验收合格", "验收不通过"),
    "red_landmark": ("达到“红色地标”建设标准", "未达到“红色地标”建设标准，不予命名"),
    "micro_project": ("验收合格", "验收不合格"),
}
APPROVAL_SOURCE = "002_a83f9f6db4fc39eb.txt › 篇六 一、三"
SUBSIDY_SOURCE = "002_a83f9f6db4fc39eb.txt › 篇六 三（对验收合格的采取以奖代补）"


@dataclass(frozen=True)
class Approval:
    """A site's category as the county approved it before building (篇六 一、三)."""

    category: str | None
    number: str = ""
    date: str = ""  # ISO date of the approval document


@dataclass(frozen=True)
class Advisory:
    """A failed requirement the source softens, with the inspector's note."""

    item_id: str
    text: str
    words: str
    note: str


@dataclass(frozen=True)
class Decision:
    """What was decided, by which rule, and why."""

    purpose: str
    verdict: str
    passed: bool
    headline: str
    rule: str
    outcome: scoring.Outcome
    category: str | None = None
    category_name: str = ""
    approval: Approval | None = None
    subsidy: int | None = None  # None: this decision pays nothing by its nature (not an acceptance)
    reasons: tuple[str, ...] = ()
    unmet: tuple[scoring.Rectification, ...] = ()
    missing_evidence: tuple[str, ...] = ()
    advisory: tuple[Advisory, ...] = ()
    info: tuple[str, ...] = ()

    @property
    def verdict_label(self) -> str:
        """The verdict in Chinese."""
        return scoring.VERDICT_LABELS[self.verdict]

    @property
    def score(self) -> float | None:
        """The score, as information."""
        return self.outcome.score

    @property
    def subsidy_words(self) -> str:
        """The money in words: the amount, or 不予拨付."""
        if self.subsidy is None:
            return ""
        return f"{self.subsidy:,} 元" if self.subsidy else "不予拨付"

    def snapshot(self) -> dict[str, Any]:
        """The decision as plain JSON (for reports and the before/after record)."""
        return {"purpose": self.purpose, "verdict": self.verdict, "verdict_label": self.verdict_label,
                "passed": self.passed, "headline": self.headline, "rule": self.rule,
                "score": self.outcome.score, "category": self.category, "category_name": self.category_name,
                "approval": ({"number": self.approval.number, "date": self.approval.date}
                             if self.approval else None),
                "subsidy": self.subsidy, "subsidy_words": self.subsidy_words, "reasons": list(self.reasons),
                "unmet": [{"item_id": r.item_id, "text": r.text, "requirement": r.requirement,
                           "finding": r.finding, "source": r.source, "critical": r.critical} for r in self.unmet],
                "missing_evidence": list(self.missing_evidence),
                "advisory": [{"item_id": a.item_id, "text": a.text, "words": a.words, "note": a.note}
                             for a in self.advisory],
                "info": list(self.info)}


def _reasons(spec: ChecklistSpec, out: scoring.Outcome) -> list[str]:
    """Why the verdict is not a pass, one line per cause, in the order they are decided."""
    by = spec.by_id
    lines = [f"不具备申报条件：{by[i].text}" for i in out.gates_failed]
    lines += [f"{by[i].text}：一律不予验收（{by[i].source}）" for i in out.refusals]
    lines += [f"缺少验收资料：{by[i].text}（{by[i].source}：必须收集齐）" for i in out.missing_evidence]
    if out.open_items:
        lines.append(f"尚有 {len(out.open_items)} 项未检查")
    for i in out.unexplained:
        lines.append(f"“{by[i].text}”原文为“{by[i].softened_by(out.tier)}”，未符合须由检查人员填写说明")
    for i in out.failed:
        if i in out.gates_failed or i in out.refusals or i in out.missing_evidence:
            continue
        j = out.judgements[i]
        veto = "（一票否决）" if i in out.vetoes else ""
        lines.append(f"未达到{veto}：{by[i].text}" + (f"（{j.detail}）" if j.detail else ""))
    if out.rule == "score" and out.score is not None and out.score < (spec.pass_score or 0):
        lines.append(f"得分 {out.score:g} 低于 {spec.pass_score:g} 分（{spec.pass_score_source}）")
    return lines


def decide(spec: ChecklistSpec, answers: Mapping[str, Any], *, purpose: str, tier: str | None,
           site_type: str | None, notes: Mapping[str, str] | None = None,
           approval: Approval | None = None) -> Decision:
    """The decision for an inspection of this purpose at this tier, for a site with this approval."""
    notes = notes or {}
    out = scoring.evaluate(spec, answers, tier=tier, site_type=site_type, notes=notes)
    reasons = _reasons(spec, out)
    verdict = out.verdict
    advisory = tuple(scoring_advisory(spec, out, notes))
    unmet = tuple(scoring.rectifications(spec, out, site_type=site_type))
    missing = tuple(spec.by_id[i].text for i in out.missing_evidence)
    tier_row = spec.tier(tier)
    info: list[str] = []
    subsidy = None
    category = tier
    if purpose == "completion_acceptance" and spec.tiers:
        category = approval.category if approval else None
        blocked = _approval_problems(spec, tier, approval)
        if blocked:
            verdict = scoring.INELIGIBLE
            reasons = blocked + reasons
        subsidy = tier_row.subsidy if verdict == scoring.PASSED and tier_row else 0
        if subsidy == 0:
            reasons.append(f"奖补不予拨付：以奖代补只对验收合格的批准类别拨付（{SUBSIDY_SOURCE}），"
                           "整改复查合格后再拨付，不按其他类别拨付")
        info += _also_meets(spec, answers, tier=tier, site_type=site_type, notes=notes)
    passed = verdict == scoring.PASSED
    yes, no = HEADLINES.get(purpose, ("合格", "不合格"))
    headline = yes if passed else (no if verdict != scoring.INCOMPLETE else "尚未检查完，暂不能作出结论")
    if purpose == "completion_acceptance" and verdict == scoring.REFUSED:
        headline = "不予验收"
    rule = spec.decision_rule
    if purpose == "completion_acceptance" and spec.tiers:
        rule = (f"按县级事先批准的建设类别（{tier_row.name if tier_row else '未定'}）的标准验收：" + rule
                + "；验收资料须全部收集齐；擅自更改规划设计的一律不予验收")
    return Decision(purpose, verdict, passed, headline, rule, out, category,
                    tier_row.name if tier_row else "", approval, subsidy, tuple(reasons), unmet, missing,
                    advisory, tuple(info))


def scoring_advisory(spec: ChecklistSpec, out: scoring.Outcome, notes: Mapping[str, str]) -> list[Advisory]:
    """The failed advisory requirements with the source's words and the inspector's note."""
    return [Advisory(i, spec.by_id[i].text, spec.by_id[i].softened_by(out.tier) or "", (notes.get(i) or "").strip())
            for i in out.advisory_failed]


def _approval_problems(spec: ChecklistSpec, tier: str | None, approval: Approval | None) -> list[str]:
    """Why an acceptance cannot be judged against an approved category (empty when it can)."""
    if approval is None or not approval.category:
        return [f"站点没有县级事先批准的建设类别：须先由县审批为新建示范村、新建达标村或改扩建（提档升级）（{APPROVAL_SOURCE}）"]
    if not approval.number or not approval.date:
        return [f"站点的建设类别未录入批准文号和日期，不能按批准类别验收（{APPROVAL_SOURCE}）"]
    if approval.category != tier:
        approved = spec.tier(approval.category)
        doing = spec.tier(tier)
        return [f"本次验收按“{doing.name if doing else tier}”开展，但站点批准类别为"
                f"“{approved.name if approved else approval.category}”：只能按批准类别验收，不得改按其他类别"]
    return []


def _also_meets(spec: ChecklistSpec, answers: Mapping[str, Any], *, tier: str | None, site_type: str | None,
                notes: Mapping[str, str]) -> list[str]:
    """Higher categories whose requirements the answers also meet: information, never money."""
    order = [t.id for t in spec.tiers]
    if tier not in order:
        return []
    out = []
    for other in order[:order.index(tier)]:
        if scoring.evaluate(spec, answers, tier=other, site_type=site_type, notes=notes).verdict == scoring.PASSED:
            out.append(f"另：答案亦达到“{spec.tier(other).name}”的各项要求（仅供参考，奖补只按批准类别拨付）")
    return out


def verdict_and_subsidy(spec: ChecklistSpec, checklist_verdict: str, *, purpose: str, tier: str | None,
                        approval: Approval | None) -> tuple[str, int | None]:
    """The verdict and subsidy `decide` reaches from the checklist's verdict (scoring.Outcome.verdict):
    a completion acceptance not judgeable against its approved category is ineligible, and pays its
    category's amount only when it passes. Used where only these two are needed (core.tally)."""
    if purpose != "completion_acceptance" or not spec.tiers:
        return checklist_verdict, None
    verdict = scoring.INELIGIBLE if _approval_problems(spec, tier, approval) else checklist_verdict
    tier_row = spec.tier(tier)
    return verdict, (tier_row.subsidy if verdict == scoring.PASSED and tier_row else 0)
