"""Migration 0018: a micro project's JSON photos move into photo rows (and back on downgrade)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError


from .migrations import database_at, migrate
from .test_programs_migration import ROWS

SHA_A, SHA_B = "a" * 64, "b" * 64
PHOTOS = [  # as services/micro.py stored them before issue 18; the second is the first again
    {"kind": "before", "caption": "实施前", "display": f"photos/{SHA_A}/{SHA_A}-display.jpg",
     "thumb": f"photos/{SHA_A}/{SHA_A}-thumb.jpg", "original": f"photos/{SHA_A}/{SHA_A}.jpg", "sha256": SHA_A},
    {"kind": "before", "caption": "实施前", "display": f"photos/{SHA_A}/{SHA_A}-display.jpg",
     "thumb": f"photos/{SHA_A}/{SHA_A}-thumb.jpg", "original": f"photos/{SHA_A}/{SHA_A}.jpg", "sha256": SHA_A},
    {"kind": "after", "caption": "完成后", "display": f"photos/{SHA_B}/{SHA_B}-display.jpg",
     "thumb": f"photos/{SHA_B}/{SHA_B}-thumb.jpg", "original": f"photos/{SHA_B}/{SHA_B}.png", "sha256": SHA_B},
]
DETAILS = {"completion": {"spent_fen": 845050}, "photos": PHOTOS}




def _json_photos(conn) -> None:
    conn.execute(text("UPDATE microproject SET details = :d, status = 'noticed' WHERE id = 1"),
                 {"d": json.dumps(DETAILS, ensure_ascii=False)})


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """A database at revision 0016 with a micro project whose photos are JSON in its details."""
    with database_at(request.param, tmp_path, "0016", ROWS, _json_photos) as engine:
        yield engine


def _details(conn) -> dict:
    raw = conn.execute(text("SELECT details FROM microproject WHERE id = 1")).scalar_one()
    return raw if isinstance(raw, dict) else json.loads(raw)


def test_json_photos_become_rows_once_per_hash_and_come_back_on_downgrade(old_database):
    migrate(old_database, "0018")
    with old_database.connect() as conn:
        rows = conn.execute(text("SELECT micro_project_id, inspection_id, item_id, caption, sha256, format, display, "
                                 "thumb, original, by_id FROM photo ORDER BY id")).all()
        details = _details(conn)
    assert [tuple(r) for r in rows] == [
        (1, None, "before", "实施前", SHA_A, "jpeg", PHOTOS[0]["display"], PHOTOS[0]["thumb"], PHOTOS[0]["original"], 1),
        (1, None, "after", "完成后", SHA_B, "png", PHOTOS[2]["display"], PHOTOS[2]["thumb"], PHOTOS[2]["original"], 1)]
    assert details == {"completion": {"spent_fen": 845050}}  # the photos left the JSON, the rest stayed

    migrate(old_database, "0016", down=True)
    with old_database.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM photo")).scalar_one() == 0
        details = _details(conn)
    assert details == {"completion": {"spent_fen": 845050}, "photos": [PHOTOS[0], PHOTOS[2]]}


def test_a_photo_has_exactly_one_owner_and_one_row_per_hash_on_each_side_of_a_project(old_database):
    migrate(old_database, "0018")
    insert = ("INSERT INTO photo (micro_project_id, inspection_id, item_id, sha256, size_bytes, format, width, "
              "height, original, display, thumb, by_id, at) VALUES ({owner}, 'after', :sha, 0, 'jpeg', 0, 0, "
              "'o', 'd', 't', 1, '2026-04-01 00:00:00')")
    for owner, sha in (("NULL, NULL", "c" * 64), ("1, NULL", SHA_B)):  # no owner; a hash the side has
        with pytest.raises(IntegrityError), old_database.begin() as conn:
            conn.execute(text(insert.format(owner=owner)), {"sha": sha})
    with old_database.begin() as conn:
        conn.execute(text(insert.format(owner="1, NULL")), {"sha": "c" * 64})
        conn.execute(text(insert.format(owner="1, NULL")), {"sha": SHA_A})  # the before photo, also as after
        assert conn.execute(text("SELECT count(*) FROM photo")).scalar_one() == 4
