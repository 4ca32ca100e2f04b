"""Issue 14 (hardening): unreadable saves, sessions that end, hosts, headers, ids, input, errors."""
import re
from pathlib import Path

import pytest
from sqlmodel import select

from inspector import create_app
from inspector.models import Answer, AuthSession

from . import factories
from .test_field import SITE, item_url, start

PASSWORD = "correct-horse-1"


@pytest.fixture
def field(app, db, login_as):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    who = factories.user(db, c["county"], username="wangfang")
    db.commit()
    login_as(who)
    return site


def _saved(client, db, ins_id):
    """Save 412 on the building area and return the stored answer."""
    r = client.post(item_url(ins_id, "premises-building-area"), data={"value": "412", "client_id": "a1",
                                                                       "base_version": "0"})
    assert r.status_code == 303
    return db.exec(select(Answer).where(Answer.item_id == "premises-building-area")).one()


# ---------------------------------------------------------------- 1 and 10: saves that cannot be read

@pytest.mark.parametrize("body, content_type", [
    ('{"value": ""}', "application/json"),
    ("<value></value>", "text/xml"),
    ("--xyz\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n", "multipart/form-data; boundary=xyz"),
    ("--broken", "multipart/form-data; boundary=other"),
])
def test_an_unreadable_save_body_is_400_and_changes_nothing(client, db, field, body, content_type):
    ins_id = start(client, field)
    before = _saved(client, db, ins_id)
    r = client.post(item_url(ins_id, "premises-building-area"), data=body, content_type=content_type)
    assert r.status_code == 400 and "未保存任何内容" in r.get_data(as_text=True)
    db.expire_all()
    after = db.exec(select(Answer).where(Answer.item_id == "premises-building-area")).one()
    assert (after.value, after.version) == (before.value, before.version) == (412, 1)


def test_a_save_without_base_version_is_428_and_changes_nothing(client, db, field):
    ins_id = start(client, field)
    _saved(client, db, ins_id)
    for data in ({"value": "300", "client_id": "b"}, {"value": "300", "client_id": "c", "base_version": ""}):
        r = client.post(item_url(ins_id, "premises-building-area"), data=data)
        assert r.status_code == 428 and "base_version" in r.get_data(as_text=True)
    db.expire_all()
    assert db.exec(select(Answer).where(Answer.item_id == "premises-building-area")).one().value == 412


# ---------------------------------------------------------------- 2: sessions that end

def _cookie(client) -> str:
    return client.get_cookie("inspector_session").value


def test_a_cookie_captured_before_logout_no_longer_works(app, client, db, field):
    stolen = _cookie(client)
    assert client.get("/account/password").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("inspector_session", stolen)
    r = thief.get("/account/password")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_sign_out_everywhere_ends_every_session_of_the_account(app, client, db, field, login_as):
    other = app.test_client()
    assert other.post("/login", data={"username": "wangfang", "password": PASSWORD}).status_code == 303
    assert other.get("/account/password").status_code == 200
    r = client.post("/logout/everywhere")
    assert r.status_code == 303
    assert other.get("/account/password").status_code == 302
    assert client.get("/account/password").status_code == 302
    assert db.exec(select(AuthSession).where(AuthSession.ended_at.is_(None))).all() == []


def test_the_session_row_stores_only_a_hash_of_the_token(client, db, field):
    row = db.exec(select(AuthSession)).one()
    assert row.ended_at is None and len(row.token_hash) == 64
    assert row.token_hash not in _cookie(client)


# ---------------------------------------------------------------- 4: spreadsheet exports

HOSTILE_NAMES = ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1")


def test_every_text_cell_of_the_excel_export_is_escaped_against_formulas(client, db, login_as):
    import io

    from openpyxl import load_workbook
    c = factories.county(db)
    for n, name in enumerate(HOSTILE_NAMES):
        factories.site(db, c["village_a"], name=name)
    boss = factories.user(db, c["county"], username="county-1", role="county_reviewer")
    db.commit()
    login_as(boss)
    r = client.get("/dashboard/export.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    names = sorted(row[2].value for row in ws.iter_rows(min_row=2))
    assert names == sorted("'" + n for n in HOSTILE_NAMES)
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # nothing runs as a formula


def test_the_cell_guard_quotes_exactly_the_formula_starts():
    from inspector.core.spreadsheet import safe_cell
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@a", "\t1", "张庄", "", 3, -2.5, None)] == \
        ["'=1", "'+1", "'-1", "'@a", "'\t1", "张庄", "", 3, -2.5, None]


# ---------------------------------------------------------------- 8: uploads against the limits

def test_a_photo_over_a_lowered_limit_is_refused_whole_naming_its_real_size(app, client, db, field):
    import io

    from inspector.models import Photo

    from . import samples
    app.config["PHOTO_MAX_BYTES"] = 256 * 1024  # the probe's 1,153,024 bytes against 1 MiB, scaled by 1/4
    ins_id = start(client, field)
    photo = samples.jpeg()
    data = photo + b"\0" * (288_256 - len(photo))
    r = client.post(item_url(ins_id, "premises-exists") + "/photos",
                    data={"photos": (io.BytesIO(data), "big.jpg")}, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 413 and "288,256 字节" in body and "262,144 字节" in body
    assert db.exec(select(Photo)).all() == []
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []


def test_a_photo_within_the_limit_is_stored_whole(app, client, db, field):
    import hashlib
    import io

    from inspector.models import Photo

    from . import samples
    ins_id = start(client, field)
    data = samples.jpeg(1600, 1200)
    r = client.post(item_url(ins_id, "premises-exists") + "/photos",
                    data={"photos": (io.BytesIO(data), "ok.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 303
    row = db.exec(select(Photo)).one()
    assert row.size_bytes == len(data) and row.sha256 == hashlib.sha256(data).hexdigest()
    assert (Path(app.config["MEDIA_DIR"]) / row.original).read_bytes() == data


def test_a_request_over_max_content_length_gets_a_chinese_413_naming_the_limit(app, client, field):
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    r = client.post("/account/password", data={"current": "x" * (300 * 1024)})
    body = r.get_data(as_text=True)
    assert r.status_code == 413 and "上限是 100 KB" in body and "本次 300 KB" in body
