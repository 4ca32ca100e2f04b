"""What the phone needs to work offline: each item's rule as data attributes (so a queued answer
is judged on the phone, marked 待同步, until the server's own judgement replaces it), the score's
parts, the capture time sent with a queued save, and the late-capture flag on an item."""
from __future__ import annotations

import json

from flask import Flask, request
from markupsafe import Markup, escape

from ..core import rules, scoring, units
from ..core.checklist import Item
from ..services import capture

_CHECK = {"check": "pass", "document": "present"}


def _rule_data(item: Item, tier: str | None, site_type: str | None) -> dict | None:
    """The item's rule in the few fields the phone's judge reads."""
    rule = item.rule_for(tier, site_type)
    if isinstance(rule, rules.Compare):
        return {"op": rule.op, "t": rule.threshold, "words": rule.describe()}
    if isinstance(rule, rules.Dimensions):
        return {"a": rule.first, "b": rule.second, "tol": rule.tolerance, "words": rule.describe()}
    if isinstance(rule, rules.Rate):
        return {"op": rule.op, "pct": rule.percent, "words": rule.describe()}
    return None


def counted(item: Item, tier: str | None) -> bool:
    """Whether the item's weight counts in the score (as scoring.evaluate counts it)."""
    return not (item.gate or item.kind == "text" or item.force(tier) == "optional")


def rule_attrs(item: Item, tier: str | None, site_type: str | None) -> Markup:
    """`data-*` attributes with the item's rule, for the phone's provisional judgement."""
    data: dict[str, object] = {"kind": item.kind, "weight": item.weight if counted(item, tier) else 0}
    if item.kind in _CHECK:
        data["pass"] = _CHECK[item.kind]
    if item.kind == "choice":
        data["options"] = json.dumps({o.value: 1 if o.passes else 0 for o in item.options or ()})
    if item.consequence == "evidence":
        data["na-fails"] = 1
    if item.kind == "text" and item.weight == 0:
        data["text-na"] = 1
    rule = _rule_data(item, tier, site_type)
    if rule is not None:
        data["rule"] = json.dumps(rule, ensure_ascii=False)
        data["unit"] = units.label(item.unit)
    if item.kind == "dimensions":
        data["dims"] = json.dumps(list(item.dimension_labels), ensure_ascii=False)
    return Markup(" ".join(f'data-{k}="{escape(v)}"' for k, v in data.items()))


def score_parts(spec, outcome: scoring.Outcome, tier: str | None) -> Markup:
    """`data-earned` and `data-possible` of the score, so the phone can move it by its own judgements.

    After a save the reply has no judgements, only the running counts (services/tally.Standing),
    which carry the same two sums."""
    if not hasattr(outcome, "judgements"):
        return Markup(f'data-earned="{outcome.earned:g}" data-possible="{outcome.possible:g}"')
    earned = possible = 0.0
    for item in spec.items():
        j = outcome.judgements.get(item.id)
        if j is None or j.result == scoring.NA or not counted(item, tier):
            continue
        possible += item.weight
        earned += item.weight if j.result == scoring.PASS else 0
    return Markup(f'data-earned="{earned:g}" data-possible="{possible:g}"')


def captured_at_of_form():
    """The capture time a queued save carries (`captured_at`), in UTC, or None; CaptureError (400,
    answered by web/errors.py) when unreadable."""
    return capture.parse_captured_at(request.form.get("captured_at"))


def register(app: Flask) -> None:
    """The template helpers of the offline phone."""
    app.jinja_env.globals.update(rule_attrs=rule_attrs, score_parts=score_parts, capture_flag=capture.capture_flag)
