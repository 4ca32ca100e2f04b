"""Example answers: a plausible value that passes or fails an item's rule. Pure.

The one place that knows how to make an answer meet (or miss) a rule, used by the demo county and by
the tests, so that a new rule kind is taught to both at once.
"""
from __future__ import annotations

import random
from typing import Any

from . import rules
from .checklist import ChecklistSpec, Item


def value_for(item: Item, rule: Any, passing: bool, rnd: random.Random) -> Any:
    """A plausible answer for an item that passes (or fails) its rule at a tier: demo data and tests alike."""
    kind = item.kind
    if kind == "check":
        return "pass" if passing else "fail"
    if kind == "document":
        return "present" if passing else "missing"
    if kind == "choice":
        options = [o for o in item.options or () if o.passes == passing] or list(item.options or ())
        return rnd.choice(options).value
    if kind == "text":
        return "现场查看，情况如实记录。"
    if kind in ("measure", "count") and isinstance(rule, rules.Compare):
        t = rule.threshold
        up = rule.op in (">=", ">", "==")
        if rule.op == "==":
            value = t if passing else t + max(1, t * 0.2)
        elif passing == up:
            value = t * rnd.uniform(1.02, 1.4) + (1 if rule.op == ">" else 0)
        else:  # a “左右” rule's band reaches `tolerance` past the number
            edge = t - getattr(rule, "tolerance", 0) if up else t + getattr(rule, "tolerance", 0)
            value = edge * rnd.uniform(0.6, 0.95) - (1 if rule.op in ("<",) else 0)
        value = max(value, 0)
        return int(round(value)) if kind == "count" or t >= 10 else round(value, 1)
    if kind == "dimensions" and isinstance(rule, rules.Dimensions):
        off = 0 if passing else rule.tolerance + 3
        return [rule.first + off, rule.second]
    if kind == "rate" and isinstance(rule, rules.Rate):
        respondents = rnd.randint(30, 80)
        share = min(1.0, rule.percent / 100 + 0.05) if passing else rule.percent / 100 - 0.12
        satisfied = respondents if rule.percent >= 100 and passing else int(respondents * share)
        return {"respondents": respondents, "satisfied": max(0, min(satisfied, respondents))}
    return None


def answers_for(spec: ChecklistSpec, *, tier: str | None, site_type: str, pass_rate: float,
                 share: float, rnd: random.Random) -> dict[str, Any]:
    """Answers for a share of the applicable items, each passing with the given probability."""
    out = {}
    for item in spec.items():
        if not item.applies(tier, site_type) or rnd.random() > share:
            continue
        rule = item.rule_for(tier, site_type)
        out[item.id] = value_for(item, rule, rnd.random() < pass_rate, rnd)
    return out
