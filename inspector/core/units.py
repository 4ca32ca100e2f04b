"""Units a checklist may use, and how a person reads them."""

AREA = {"m2"}
LENGTH = {"m", "cm", "mm"}
MONEY = {"CNY"}
TIME = {"h", "days", "working_days", "months", "years"}
RATE_OVER_TIME = {"hours_per_year", "hours_per_day", "CNY_per_year"}
COUNT = {
    "households", "persons", "times", "rooms", "items", "teams", "boards", "events",
    "plaques", "seats", "terminals", "cards", "times_per_year", "times_per_month",
}
MEASURE = AREA | LENGTH | MONEY | TIME | RATE_OVER_TIME
ALL = MEASURE | COUNT

LABELS = {
    "m2": "m²", "m": "m", "cm": "cm", "mm": "mm", "CNY": "元", "h": "小时", "days": "天",
    "working_days": "个工作日", "months": "个月", "years": "年",
    "hours_per_year": "小时/年", "hours_per_day": "小时/天", "CNY_per_year": "元/年",
    "households": "户", "persons": "人", "times": "次", "rooms": "间", "items": "个",
    "teams": "支", "boards": "块", "events": "场", "plaques": "块", "seats": "座",
    "terminals": "台", "cards": "张", "times_per_year": "次/年", "times_per_month": "次/月",
}


def label(unit: str | None) -> str:
    """The unit as a person reads it (m2 -> m², CNY -> 元)."""
    return LABELS.get(unit, unit or "")
