"""Issue 14 (hardening): unreadable saves, sessions that end, hosts, headers, ids, input, errors."""
import re
from pathlib import Path

import pytest
from sqlmodel import select

from inspector import create_app
from inspector.models import Answer, AuthSession

from . import factories
from .test_field import SITE, item_url, start
from .test_reports import accepted  # noqa: F401 - a fixture
from .test_dashboard import county as dash_county  # noqa: F401 - a fixture

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


# ---------------------------------------------------------------- 3: documents the Host cannot redirect

def test_a_request_for_an_untrusted_host_is_refused(client):
    r = client.get("/login", headers={"Host": "evil.example"})
    assert r.status_code == 400 and "受信任的主机" in r.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # localhost, the test client's name
    assert client.get("/login", base_url="http://127.0.0.1:5000").status_code == 200


def test_the_printed_notice_qr_uses_public_url_whatever_the_host(db, db_url, tmp_path):
    import subprocess

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "MEDIA_DIR": str(tmp_path / "media"), "PUBLIC_URL": "https://dangqun.example.gov.cn",
                      "EXTRA_TRUSTED_HOSTS": "inspector.internal"})
    from datetime import date

    from inspector.core import workdays
    from inspector.services import notices
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    poster = factories.user(db, c["town_a"], username="poster", role="township")
    notice = notices.post(session=db, kind="red_landmark_result", site=site, subject_id=1, title="公示",
                          content={"site": "张庄村", "sections": [], "body": "正文", "photos": []},
                          start=date(2026, 4, 29), working_days=7, calendar=workdays.load(), by=poster)
    db.commit()
    client = app.test_client()
    assert client.get(f"/notice/{notice.public_id}.pdf", headers={"Host": "evil.example"}).status_code == 400
    r = client.get(f"/notice/{notice.public_id}.pdf", headers={"Host": "inspector.internal"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=300"
    (tmp_path / "n.pdf").write_bytes(r.data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(tmp_path / "n.pdf"),
                    str(tmp_path / "p")], check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "p-1.png")], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert decoded == f"https://dangqun.example.gov.cn/notice/{notice.public_id}"
    app.extensions["engine"].dispose()


def test_without_public_url_the_notice_pdf_is_never_cached_publicly(app, client, db):
    from datetime import date

    from inspector.core import workdays
    from inspector.services import notices
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    poster = factories.user(db, c["town_a"], username="poster", role="township")
    notice = notices.post(session=db, kind="red_landmark_result", site=site, subject_id=1, title="公示",
                          content={"site": "张庄村", "sections": [], "body": "正文", "photos": []},
                          start=date(2026, 4, 29), working_days=7, calendar=workdays.load(), by=poster)
    db.commit()
    r = client.get(f"/notice/{notice.public_id}.pdf")
    assert r.status_code == 200 and "public" not in r.headers["Cache-Control"]


def test_an_issued_report_qr_points_to_public_url_and_an_evil_host_issues_nothing(app, client, db, accepted,
                                                                                   tmp_path):
    import subprocess

    from inspector.models import Report
    ins, _site, _spec = accepted
    app.config["PUBLIC_URL"] = "https://dangqun.example.gov.cn/"
    evil = client.post(f"/inspections/{ins.id}/reports/acceptance", headers={"Host": "evil.example"})
    assert evil.status_code == 400 and db.exec(select(Report)).all() == []
    assert client.post(f"/inspections/{ins.id}/reports/acceptance").status_code == 303
    report = db.exec(select(Report)).one()
    path = tmp_path / "r.pdf"
    path.write_bytes((Path(app.config["MEDIA_DIR"]) / report.path).read_bytes())
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "p-1.png")], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert decoded == f"https://dangqun.example.gov.cn/verify/{report.public_id}"
    # 5: the PDF behind the login is private, never publicly cacheable
    r = client.get(f"/reports/{report.public_id}.pdf")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("private")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()


# ---------------------------------------------------------------- 5: headers

def test_every_page_carries_the_security_headers(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    script = csp.split("script-src")[1].split(";")[0]
    assert "'self'" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "frame-ancestors 'none'" in csp and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in r.headers  # only behind HTTPS


def test_hsts_behind_https(db_url, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test", "INSPECTOR_HTTPS": True,
                      "MEDIA_DIR": str(tmp_path / "m")})
    r = app.test_client().get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    app.extensions["engine"].dispose()


def test_pages_behind_the_login_are_private_and_unstored(client, field):
    for url in ("/", "/sites/", f"/sites/{field.id}"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "private, no-store", url
        assert "Cookie" in r.headers.get("Vary", "")


def test_media_is_private_even_on_the_redirect_to_login(app, client, db, field):
    import io

    from inspector.models import Photo

    from . import samples
    ins_id = start(client, field)
    client.post(item_url(ins_id, "premises-exists") + "/photos", data={"photos": (io.BytesIO(samples.jpeg()), "a.jpg")},
                content_type="multipart/form-data")
    photo = db.exec(select(Photo)).one()
    r = client.get(f"/media/{photo.thumb}")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("private")
    assert "public" not in r.headers["Cache-Control"] and r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()
    anon = app.test_client().get(f"/media/{photo.thumb}")
    assert anon.status_code == 302 and anon.headers["Cache-Control"].startswith("private")


# ---------------------------------------------------------------- 6: no 5xx

@pytest.mark.parametrize("url", ["/sites/2147483648", "/sites/99999999999999999999", "/sites/-1",
                                 "/inspections/2147483648", "/inspections/2147483648/summary",
                                 "/sites/" + "9" * 5000])
def test_ids_out_of_range_are_not_found(client, field, url):
    r = client.get(url)
    assert r.status_code == 404 and "找不到页面" in r.get_data(as_text=True)


def test_the_largest_id_is_still_a_plain_not_found(client, field):
    assert client.get("/sites/2147483647").status_code == 404


@pytest.mark.parametrize("url", ["/verify/%00", "/notice/%00", "/notice/%00.pdf", "/sites/?q=%00",
                                 "/login?next=%00"])
def test_nul_anywhere_in_a_request_is_a_chinese_400(client, url):
    r = client.get(url)
    assert r.status_code == 400 and "空字符（NUL）" in r.get_data(as_text=True)


def test_nul_and_over_long_form_fields_are_refused_before_any_save(client, db, field):
    ins_id = start(client, field)
    url = item_url(ins_id, "premises-building-area")
    for data, words in (({"value": "412", "note": "a\x00b", "base_version": "0"}, "空字符"),
                        ({"value": "412", "client_id": "c" * 65, "base_version": "0"}, "过长"),
                        ({"value": "412", "device_id": "d" * 100, "base_version": "0"}, "过长"),
                        ({"value": "412", "note": "长" * 100_000, "base_version": "0"}, "过长")):
        r = client.post(url, data=data)
        assert r.status_code == 400 and words in r.get_data(as_text=True)
    assert db.exec(select(Answer)).all() == []


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=99999-01-01"])
def test_dates_out_of_range_in_a_query_are_refused(client, query):
    r = client.get(f"/admin/audit?{query}")
    assert r.status_code == 400 and "日期超出范围" in r.get_data(as_text=True)


def test_the_error_page_is_rendered_after_a_rollback(app, client, field, monkeypatch):
    """A failed statement (the approve's unique violation) must not break the error page itself."""
    from sqlalchemy.exc import IntegrityError

    from inspector.web import sites as sites_view

    def failing(**_kw):
        from inspector.runtime import get_db
        db = get_db()
        from sqlalchemy import text
        try:
            db.execute(text("INSERT INTO region (level, name, code, path) SELECT level, name, code, path FROM region"))
        except IntegrityError:
            raise  # the session is now in a failed transaction; the error page reads the user again
        raise AssertionError("the duplicate region code was accepted")
    monkeypatch.setattr(sites_view.scope, "site", failing)
    r = client.get(f"/sites/{field.id}")
    body = r.get_data(as_text=True)
    assert r.status_code == 409 and "与已有记录冲突" in body and "退出" in body  # the signed-in page frame


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:5432/no_such_database_xyz",
                                 "sqlite:////nonexistent-dir/inspector.db"])
def test_an_app_without_its_database_answers_a_chinese_503(url, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "MEDIA_DIR": str(tmp_path / "m")})
    client = app.test_client()
    for r in (client.get("/healthz"), client.post("/login", data={"username": "a", "password": "b"})):
        body = r.get_data(as_text=True)
        assert r.status_code == 503 and "数据库" in body, body


def test_an_unmigrated_database_is_a_503_naming_the_command(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "SECRET_KEY": "t",
                      "WTF_CSRF_ENABLED": False, "MEDIA_DIR": str(tmp_path / "m")})
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and "flask db upgrade" in r.get_data(as_text=True)


@pytest.mark.parametrize("row", ["长名" * 50_000 + ",村,龙固镇,,,,,", "重复代码村党群服务中心,村,龙固镇,,,,,{code}"])
def test_an_import_with_a_huge_name_or_a_duplicate_region_code_is_a_4xx_and_stores_nothing(client, db, login_as,
                                                                                           dash_county, row):
    import io

    from sqlalchemy import func

    from inspector.models import Site
    login_as(dash_county["users"]["county"])
    before = db.exec(select(func.count()).select_from(Site)).one()
    code = dash_county["c"]["village_a"].code
    data = ("名称,类型,乡镇（街道）,地址,纬度,经度,申报等级,代码\r\n" + row.format(code=code) + "\r\n").encode("utf-8-sig")
    r = client.post("/dashboard/import", data={"file": (io.BytesIO(data), "sites.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and ("过长" in r.get_data(as_text=True) or "已被使用" in r.get_data(as_text=True))
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Site)).one() == before
