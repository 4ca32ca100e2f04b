"""Migration 0008: existing micro projects and their sites are bound to the program whose bands they used."""
from __future__ import annotations

import pytest
from sqlalchemy import text


from .migrations import database_at, migrate




ROWS = [
    "INSERT INTO region (id, name, level, code, path) VALUES (1, '张庄村', 'village', 'X1', '/1/')",
    "INSERT INTO \"user\" (id, username, display_name, role, region_id, password_hash, active, created_at) "
    "VALUES (1, 'v', 'v', 'village', 1, '', true, '2026-04-01 00:00:00')",
    "INSERT INTO site (id, name, site_type, address, region_id, geofence_m, created_at) "
    "VALUES (1, '张庄村党群服务中心', 'village', '', 1, 200, '2026-04-01 00:00:00')",
    "INSERT INTO site (id, name, site_type, address, region_id, geofence_m, created_at) "
    "VALUES (2, '空站点', 'village', '', 1, 200, '2026-04-01 00:00:00')",
    "INSERT INTO microproject (id, site_id, year, size, name, lead_name, lead_phone, description, scale, "
    "expected_effect, budget_fen, fund_source, start_date, finish_date, members, households, spending, route, "
    "emergency, status, created_by_id, created_at, updated_at) VALUES (1, 1, 2026, 'small', '路灯', '张', "
    "'13905160001', 'x', 'x', 'x', 860000, 'x', '2026-04-01', '2026-04-30', '[]', '[]', '[]', 'village', false, "
    "'applied', 1, '2026-04-01 00:00:00', '2026-04-01 00:00:00')",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """A database at revision 0004 with a site that has a project and one that has none."""
    with database_at(request.param, tmp_path, "0004", ROWS) as engine:
        yield engine


def test_existing_projects_and_their_sites_follow_seed_001s_program(old_database):
    migrate(old_database, "0008")
    with old_database.connect() as conn:
        assert conn.execute(text("SELECT program FROM microproject")).scalar_one() == "zhengfang-town"
        sites = dict(conn.execute(text("SELECT id, micro_program FROM site ORDER BY id")).all())
    assert sites == {1: "zhengfang-town", 2: None}  # a site without projects waits for the county
