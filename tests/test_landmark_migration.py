"""Migration 0017: red-landmark dates and states leave the `details` JSON for columns, and come back on downgrade."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text


from .migrations import database_at, migrate




OLD = {  # an application noticed after the meeting, as 0016 stored it
    1: {"build_evidence_id": 2, "build_evidence_verdict": "pass", "applied_on": "2026-09-01", "step_working_days": 10,
        "evidence": {"a": [{"kind": "document", "filename": "a.pdf", "path": "documents/ab/ab.pdf", "sha256": "ab"}]},
        "town_rank": {"rank": 3, "total": 4, "computed": True, "holds": False,
                      "basis": "全镇（街道）各村（社区）最近一次“红色地标”自评得分", "scores": [95.0, 90.0, 80.0, 70.0]},
        "township_recommended_on": "2026-09-08", "county_recommended_on": "2026-09-14",
        "county_rank": {"rank": 1, "of": 2, "recommended": True, "batch": [1, 2]},
        "result": "pass", "verdict": "pass", "score": 92.5, "result_on": "2026-09-25", "result_reasons": [],
        "meeting": {"date": "2026-09-25", "minutes": "部务会纪要〔2026〕18号", "approved": True}},
    2: {"build_evidence_id": 3, "applied_on": "2026-09-02",  # not recommended, then a refused one's meeting
        "town_rank": {"rank": 2, "total": 9, "computed": False, "holds": True,
                      "basis": "申报村（社区）填报，附镇（街道）排名文件"},
        "county_rank": {"rank": 2, "of": 2, "recommended": False, "batch": [1, 2]},
        "county_recommended_on": "2026-09-14", "refused_on": "2026-10-01",
        "meeting": {"date": "2026-09-30", "minutes": "纪要 19 号", "approved": False, "reason": "服务事项未公示"}},
    3: None,  # an application with no details at all
}
ROWS = [
    "INSERT INTO region (id, name, level, code, path) VALUES (1, '张庄村', 'village', 'X1', '/1/')",
    "INSERT INTO \"user\" (id, username, display_name, role, region_id, password_hash, active, created_at) "
    "VALUES (1, 'v', 'v', 'village', 1, '', true, '2026-04-01 00:00:00')",
    *[f"INSERT INTO site (id, name, site_type, address, region_id, geofence_m, created_at) "
      f"VALUES ({i}, '站点{i}', 'village', '', 1, 200, '2026-04-01 00:00:00')" for i in (1, 2, 3)],
    "INSERT INTO checklistversion (id, checklist_id, version, title, content_hash, snapshot, created_at) "
    "VALUES (1, 'red-landmark', '1', '红色地标', 'x', '{}', '2026-04-01 00:00:00')",
    *[f"INSERT INTO inspection (id, site_id, checklist_version_id, purpose, status, created_by_id, started_at, "
      f"updated_at, round, tally_rev) VALUES ({i}, 1, 1, 'self_assessment', 'submitted', 1, '2026-04-01 00:00:00', "
      f"'2026-04-01 00:00:00', 0, 0)" for i in (1, 2, 3)],
]


def _insert_applications(conn) -> None:
    for i, details in OLD.items():
        conn.execute(text(
            "INSERT INTO redlandmarkapplication (id, site_id, year, status, self_assessment_id, leadership_ok, "
            "build_standard_met, no_major_incident, township_report, county_opinion, award_number, decision_reason, "
            "applied_by_id, created_at, updated_at, details) VALUES (:id, :id, 2026, 'applied', 1, true, true, true, "
            "'', '', '', :reason, 1, '2026-09-01 00:00:00', '2026-09-01 00:00:00', :details)"),
            {"id": i, "reason": "服务事项未公示" if i == 2 else "",
             "details": None if details is None else json.dumps(details, ensure_ascii=False)})


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """A database at revision 0016 with three applications as 0016 stored them."""
    with database_at(request.param, tmp_path, "0016", ROWS, _insert_applications) as engine:
        yield engine


def _details(conn) -> dict:
    rows = conn.execute(text("SELECT id, details FROM redlandmarkapplication ORDER BY id")).all()
    return {i: (json.loads(d) if isinstance(d, str) else d) for i, d in rows}


def _as_date(value):
    return value if value is None or isinstance(value, date) else date.fromisoformat(value)


def test_0017_moves_the_dates_and_states_into_columns_and_back(old_database):
    migrate(old_database, "0017")
    with old_database.connect() as conn:
        row = conn.execute(text(
            "SELECT applied_on, build_evidence_id, township_recommended_on, county_recommended_on, county_rank, "
            "county_rank_of, county_recommended, town_rank, town_total, town_rank_computed, town_rank_holds, result, "
            "result_verdict, result_score, result_on, meeting_on, meeting_minutes, meeting_approved, refused_on "
            "FROM redlandmarkapplication WHERE id = 1")).one()
        first = [_as_date(v) if isinstance(v, str) and v[:2] == "20" else v for v in row]
        assert first == [date(2026, 9, 1), 2, date(2026, 9, 8), date(2026, 9, 14), 1, 2, True, 3, 4, True, False,
                         "pass", "pass", 92.5, date(2026, 9, 25), date(2026, 9, 25), "部务会纪要〔2026〕18号", True, None]
        second = conn.execute(text("SELECT county_recommended, town_rank_computed, meeting_approved, refused_on "
                                   "FROM redlandmarkapplication WHERE id = 2")).one()
        assert (bool(second[0]), bool(second[1]), bool(second[2]), _as_date(second[3])) == (
            False, False, False, date(2026, 10, 1))
        left = _details(conn)
    assert left[1] == {"build_evidence_verdict": "pass", "step_working_days": 10, "evidence": OLD[1]["evidence"],
                       "result_reasons": [], "town_scores": [95.0, 90.0, 80.0, 70.0], "county_batch": [1, 2]}
    assert left[2] == {"county_batch": [1, 2]} and left[3] is None
    migrate(old_database, "0016", down=True)
    with old_database.connect() as conn:
        assert _details(conn) == OLD
