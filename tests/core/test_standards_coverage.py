"""Every number of STANDARDS.md §1–§5 is in a checklist rule, tier or parameter, cited from its seed."""
import pytest

from inspector.core import rules

SEED_000, SEED_001, SEED_002, SEED_003, SEED_004 = (
    "000_7a80efa72703d9ff.txt", "001_ce2f6b89bf5be0ba.txt", "002_a83f9f6db4fc39eb.txt",
    "003_f5bd2b5e7d78f097.txt", "004_540c324c00d562d2.txt")

# (checklist, number, unit, seed that must be cited, what STANDARDS.md says)
EXPECTED = [
    ("build-standard", 600, "m2", SEED_002, "§1.1 demo building area ≥ 600 m²"),
    ("build-standard", 1000, "m2", SEED_002, "§1.1 community usable area ≥ 1000 m²"),
    ("build-standard", 400, "m2", SEED_002, "§1.1 standard building area ≥ 400 m²"),
    ("build-standard", 50, "m2", SEED_002, "§1.3 demo hall ≥ 50 m²"),
    ("build-standard", 40, "m2", SEED_002, "§1.3 standard hall ≥ 40 m² / §1.9 demo wall ≥ 40 m²"),
    ("build-standard", 100, "seats", SEED_002, "§1.5 demo meeting room ~100"),
    ("build-standard", 50, "seats", SEED_002, "§1.5 standard meeting room ≥ 50"),
    ("build-standard", 300, "m2", SEED_002, "§1.8 demo ground ≥ 300 m²"),
    ("build-standard", 200, "m2", SEED_002, "§1.8 standard ground ≥ 200 m²"),
    ("build-standard", 20, "m2", SEED_002, "§1.9 standard wall ≥ 20 m²"),
    ("build-standard", 3, "plaques", SEED_002, "§1.2 three plaques beside the door"),
    ("build-standard", 1000000, "CNY", SEED_002, "§1 demo subsidy"),
    ("build-standard", 600000, "CNY", SEED_002, "§1 standard subsidy"),
    ("build-standard", 200000, "CNY", SEED_002, "§1 upgrade subsidy"),
    ("build-standard", 2000000, "CNY", SEED_002, "§1 negotiated bidding ≤ 2,000,000"),
    ("build-standard", 30, "days", SEED_002, "§1 monthly progress report on the 30th"),
    ("function-rooms", 6, "rooms", SEED_002, "§2 six required rooms"),
    ("function-rooms", (210, 32), "cm", SEED_002, "§2 hanging plaques 210 × 32 cm"),
    ("function-rooms", 3, "plaques", SEED_002, "§2 three hanging plaques"),
    ("function-rooms", 3, "cm", SEED_002, "§2 door plates 3 cm from the frame"),
    ("function-rooms", 2, "items", SEED_002, "§2 door plates with 2 strips"),
    ("function-rooms", (60, 80), "cm", SEED_002, "§2 rule boards 60 × 80 cm"),
    ("function-rooms", 1.6, "m", SEED_002, "§2 rule boards' lower edge at 1.6 m"),
    ("function-rooms", (500, 60), "cm", SEED_002, "§2 LED 5 m × 60 cm"),
    ("function-rooms", 10, "boards", SEED_002, "§2 outdoor display boards (brief asks for 10)"),
    ("red-landmark", 1, "years", SEED_002, "§3 4.2(b) in operation ≥ 1 year"),
    ("red-landmark", 400, "m2", SEED_002, "§3 5.1 area ≥ 400 m²"),
    ("red-landmark", 100, "%", SEED_002, "§3 5.2 plaque compliance 100% / 5.8 badge 100%"),
    ("red-landmark", 10, "rooms", SEED_002, "§3 5.3 ≥ 10 function rooms"),
    ("red-landmark", 2, "persons", SEED_002, "§3 5.4 two administrators"),
    ("red-landmark", 1, "times_per_month", SEED_002, "§3 5.4 study ≥ 1 per month"),
    ("red-landmark", 36, "hours_per_year", SEED_002, "§3 5.4 ≥ 36 hours per year"),
    ("red-landmark", 80, "%", SEED_002, "§3 5.4 attendance ≥ 80%"),
    ("red-landmark", 90, "%", SEED_002, "§3 5.5/5.7/5.9/5.10/5.15 ≥ 90%"),
    ("red-landmark", 8, "hours_per_day", SEED_002, "§3 5.7 open ≥ 8 hours"),
    ("red-landmark", 30, "hours_per_year", SEED_002, "§3 5.8 training ≥ 30 hours"),
    ("red-landmark", 12, "times_per_year", SEED_002, "§3 5.9 theme days ≥ 12 / 5.11 events ≥ 12"),
    ("red-landmark", 1, "teams", SEED_002, "§3 5.12 ≥ 1 volunteer team"),
    ("red-landmark", 30, "%", SEED_002, "§3 5.13 top 30% of the town"),
    ("red-landmark", 2000, "CNY_per_year", SEED_002, "§3 5.14 ≥ 2,000 CNY per year"),
    ("red-landmark", 30, "days", SEED_002, "§3 7.x city review within 30 days"),
    ("red-landmark", 7, "working_days", SEED_002, "§3 7.x public notice 7 working days"),
    ("micro-project", 200, "CNY", SEED_000, "§4 200 CNY per member / representative"),
    ("micro-project", 5, "households", SEED_000, "§4 ≥ 5 benefiting households"),
    ("micro-project", 5, "working_days", SEED_000, "§4 completion notice ≥ 5 working days"),
    ("micro-project", (35, 24), "cm", SEED_000, "§4 plaque 35 × 24 cm"),
    ("micro-project", 4, "items", SEED_000, "§4 four corner nail holes"),
    ("micro-project-zhengfang", 300000, "CNY", SEED_001, "§4 one larger item ≤ 300,000"),
    ("micro-project-zhengfang", 200000, "CNY", SEED_001, "§4 small items ≤ 200,000 in all"),
    ("micro-project-zhengfang", 10000, "CNY", SEED_001, "§4 < 10,000 village decides"),
    ("micro-project-zhengfang", 30000, "CNY", SEED_001, "§4 10,000–30,000 village decides and files"),
    ("micro-project-zhengfang", 100000, "CNY", SEED_001, "§4 30,000–100,000 town reviews; > 100,000 town decides"),
    ("service-project", 5, "working_days", SEED_003, "§4 project plans noticed ≥ 5 working days"),
    ("service-project", 4, "months", SEED_003, "§4 centre service ≥ 4 months before evaluation"),
    ("service-project", 4, "times", SEED_003, "§4 site-less activity ≥ 4 times"),
    ("service-ledger", 100, "%", SEED_004, "§5 reporting rate 100%"),
    ("service-ledger", 2, "times_per_year", SEED_004, "§5 ≥ 2 service activities a year"),
    ("service-ledger", 8, "hours_per_year", SEED_004, "§5 or ≥ 8 hours"),
    ("service-ledger", 1, "times_per_month", SEED_004, "§5 visit the paired family monthly"),
]


def facts(spec):
    """(number, unit, source) for every rule threshold, tier subsidy and parameter of a checklist."""
    out = []
    for item in spec.items():
        for rule in item._rules.values():
            if isinstance(rule, rules.Compare):
                out.append((rule.threshold, rule.unit, item.source))
            elif isinstance(rule, rules.Dimensions):
                out.append(((rule.first, rule.second), rule.unit, item.source))
            else:
                out.append((rule.percent, "%", item.source))
    out += [(t.subsidy, "CNY", t.source) for t in spec.tiers]
    out += [(p.value, p.unit, p.source) for p in spec.parameters]
    return out


@pytest.mark.parametrize("checklist_id, number, unit, seed, what", EXPECTED, ids=[e[4] for e in EXPECTED])
def test_number_is_encoded_and_cited(specs, checklist_id, number, unit, seed, what):
    found = [src for value, u, src in facts(specs[checklist_id]) if value == number and u == unit]
    assert found, f"{what}: {number} {unit} is in no rule, tier or parameter of {checklist_id}"
    assert any(src.startswith(seed + " › ") for src in found), f"{what}: cited from {found}, expected {seed}"


def test_build_standard_has_the_acceptance_evidence_and_signature_rule(specs):
    spec = specs["build-standard"]
    documents = " ".join(i.text for i in spec.items() if i.kind == "document")
    for word in ("会议", "图纸", "设计", "合同", "招投标", "质量", "安全", "照片", "协议"):
        assert word in documents, word
    assert {p.id for p in spec.signatures.parties} >= {"township-staff", "acceptance-team", "contractor-lead"}
    assert any(p.each for p in spec.signatures.parties)
    design_change = [i for i in spec.items() if "擅自更改" in i.text]
    assert design_change and all(i.is_critical("standard") for i in design_change)


def test_red_landmark_gates_and_standards(specs):
    spec = specs["red-landmark"]
    gates = [i for i in spec.items() if i.gate]
    assert len(gates) >= 3 and all(i.source.split(" › ")[1].startswith("篇五 4.2") for i in gates)
    clauses = {i.source.split(" › ")[1].split()[1] for i in spec.items() if not i.gate}
    assert {f"5.{n}" for n in range(1, 16)} <= clauses
    survey = [i for i in spec.items() if i.kind == "rate"]
    assert len(survey) >= 5  # 5.5, 5.7, 5.9, 5.10, 5.15 are computed from counts, never typed


def test_micro_project_plaque_and_money_rules(specs):
    spec = specs["micro-project"]
    texts = " ".join(i.text for i in spec.items())
    for word in ("铜", "红", "党徽", "钉", "材料"):
        assert word in texts, word
    critical = [i for i in spec.items() if i.is_critical(None)]
    assert any(i.kind == "count" and i.unit == "households" for i in critical)
    assert any(i.kind == "dimensions" for i in critical)
