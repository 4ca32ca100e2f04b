"""Security: CSRF on every POST, escaped free text (pages and PDFs), media path traversal,
session fixation, login throttling and cookie flags."""
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from inspector import create_app
from inspector.runtime import ROOT
from inspector.models import LoginAttempt, Photo
from inspector.services import inspections

from . import factories

PASSWORD = "correct-horse-1"


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sample_url(rule) -> str:
    """A URL for a rule with every argument filled in (ids that do not exist: CSRF is checked first)."""
    from werkzeug.routing.converters import NumberConverter
    values = {name: (1 if isinstance(conv, NumberConverter) else "x")
              for name, conv in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def post_rules(app):
    return sorted({r.rule: r for r in app.url_map.iter_rules() if "POST" in r.methods}.values(), key=lambda r: r.rule)


# ---------------------------------------------------------------- CSRF

@pytest.mark.csrf
def test_every_post_without_a_token_is_refused_in_chinese(app, client):
    rules = post_rules(app)
    assert len(rules) >= 10
    for rule in rules:
        r = client.post(sample_url(rule), data={"username": "x"})
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "缺少安全令牌（CSRF），请刷新页面后重新提交" in page, rule.rule


@pytest.mark.csrf
def test_every_post_with_a_wrong_token_is_refused(app, client):
    client.get("/login")  # a session with a real token exists; the forms send another
    for rule in post_rules(app):
        for bad in ("wrong", "IjAwMDAi.ZzZzZw.AAAAAAAAAAAAAAAAAAAAAAAAAAA"):
            r = client.post(sample_url(rule), data={"csrf_token": bad})
            assert r.status_code == 400 and "安全令牌（CSRF）" in r.get_data(as_text=True), (rule.rule, bad)
        r = client.post(sample_url(rule), headers={"X-CSRFToken": "wrong"})
        assert r.status_code == 400, rule.rule


@pytest.mark.csrf
def test_every_post_with_the_header_token_passes_the_csrf_check(app, client, db):
    c = factories.county(db)
    admin = factories.user(db, c["city"], username="admin-1", role="admin")
    db.commit()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"username": admin.username, "password": PASSWORD,
                                       "csrf_token": token_of(page)}).status_code == 303
    token = token_of(client.get("/account/password").get_data(as_text=True))
    for rule in post_rules(app):
        if rule.endpoint in ("auth.logout", "auth.logout_everywhere"):
            continue
        r = client.post(sample_url(rule), headers={"X-CSRFToken": token})
        assert "安全令牌（CSRF）" not in r.get_data(as_text=True), rule.rule  # the view itself answered
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 303


@pytest.mark.csrf
def test_htmx_gets_the_csrf_reason_as_a_fragment(client):
    r = client.post("/inspections/1/items/x", headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and body.startswith('<p class="error" role="alert" data-csrf>') and "CSRF" in body


# ---------------------------------------------------------------- XSS

def payload(tag: str) -> str:
    return f'{tag}<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def escaped(tag: str) -> str:
    return f"{tag}&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;"


RAW = ("<script>alert(1)</script>", "<img src=x onerror")


@pytest.fixture
def hostile(app, db, specs):
    """A site, an address, a note, a text answer and a display name, each carrying a script."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], name=payload("SITE"))
    site.address = payload("ADDR")
    who = factories.user(db, c["county"], username="evil-inspector")
    who.display_name = payload("NAME")
    admin = factories.user(db, c["city"], username="admin-1", role="admin")
    acceptance = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="completion_acceptance",
                                   tier="standard", by=who)
    inspections.record_answer(session=db, inspection=acceptance, item_id="hall-area", raw="35", note=payload("NOTE"),
                              by=who)
    micro = inspections.start(session=db, site=site, spec=specs["micro-project"], purpose="micro_project", tier=None,
                              by=who)
    inspections.record_answer(session=db, inspection=micro, item_id="mp-accept-details", raw=payload("TEXT"), note=None,
                              by=who)
    from datetime import date
    from inspector.models import MicroProject
    site.micro_program = "hehua-street-2023"  # the acceptance belongs to a project: its documents come from it
    db.add(MicroProject(site_id=site.id, year=2026, size="small", name=payload("PROJ"), lead_name="张三",
                        lead_phone="13800000000", description="x", budget_fen=100000, fund_source="x",
                        start_date=date(2026, 4, 1), finish_date=date(2026, 4, 30), members=[], households=[],
                        spending=[], route="street", program="hehua-street-2023", status="accepting",
                        acceptance_id=micro.id, created_by_id=who.id, details={}))
    db.commit()
    return {"site": site, "who": who, "admin": admin, "acceptance": acceptance, "micro": micro}


def assert_escaped(page: str, tags: tuple[str, ...], where: str) -> None:
    for raw in RAW:
        assert raw not in page, (where, raw)
    for tag in tags:
        assert escaped(tag) in page, (where, tag)


def test_free_text_is_escaped_on_every_page_that_shows_it(client, db, hostile, login_as):
    h = hostile
    site, acc, micro = h["site"].id, h["acceptance"].id, h["micro"].id
    login_as(h["who"])
    pages = {
        "/": ("NAME",),  # the sign-out button's title
        "/sites/": ("SITE",),
        f"/sites/{site}": ("SITE", "ADDR"),
        f"/sites/{site}/location": ("SITE",),
        f"/sites/{site}/inspections/new": ("SITE",),
        f"/inspections/{acc}?open=all": ("SITE", "NOTE"),  # every section open (the walk folds)
        f"/inspections/{acc}/summary": ("SITE", "NAME"),
        f"/inspections/{acc}/reports": ("SITE",),
        f"/inspections/{acc}/reports/acceptance": ("SITE", "ADDR", "NOTE", "NAME"),
        f"/inspections/{micro}?open=all": ("SITE", "TEXT"),
        f"/inspections/{micro}/reports/micro_acceptance": ("SITE", "TEXT", "PROJ"),
        "/account/password": ("NAME",),
    }
    for url, tags in pages.items():
        r = client.get(url)
        assert r.status_code == 200, url
        assert_escaped(r.get_data(as_text=True), tags, url)
    client.post("/logout")
    login_as(h["admin"])
    for url, tags in {"/admin/users": ("NAME",), f"/admin/users/{h['who'].id}": ("NAME",),
                      "/admin/audit": ("NAME", "NOTE", "TEXT")}.items():
        r = client.get(url)
        assert r.status_code == 200, url
        assert_escaped(r.get_data(as_text=True), tags, url)


def test_an_issued_reports_verify_page_escapes_the_site_and_issuer(app, client, db, hostile, login_as, specs):
    h = hostile
    ins = h["acceptance"]
    for item in specs["build-standard"].items():
        if item.applies("standard", "village") and item.id != "hall-area":
            value = {"check": "pass", "document": "present"}.get(item.kind)
            rule = item.rule_for("standard", "village")
            if value is None:
                value = item.options[0].value if item.kind == "choice" else (rule.threshold + 20 if rule else 1)
            inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw=value, note=None, by=h["who"])
    ins.status = "submitted"
    db.commit()
    login_as(h["who"])
    r = client.post(f"/inspections/{ins.id}/reports/acceptance")
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert_escaped(page, ("SITE", "NAME"), "verify")


def pdf_text(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)


def literal(tag: str) -> str:
    return re.sub(r"\s+", "", payload(tag))


def literal_parts(tag: str) -> set[str]:
    """The payload in the pieces a table cell may break it into (pdftotext reads neighbouring cells between)."""
    return {f"{tag}<script>alert(1)</script>\"><img", "src=xonerror=alert(2)>"}


def parts_in(text: str, tag: str) -> set[str]:
    return {p for p in literal_parts(tag) if p in text}


def test_free_text_prints_as_literal_text_in_a_report_pdf(client, hostile, login_as, tmp_path):
    h = hostile
    login_as(h["who"])
    acceptance = client.get(f"/inspections/{h['acceptance'].id}/reports/acceptance?format=pdf")
    assert acceptance.status_code == 200 and acceptance.data.startswith(b"%PDF")
    text = pdf_text(tmp_path, acceptance.data)
    for tag in ("SITE", "ADDR", "NOTE", "NAME"):
        assert literal(tag) in text or literal_parts(tag) <= parts_in(text, tag), tag
    micro = pdf_text(tmp_path, client.get(f"/inspections/{h['micro'].id}/reports/micro_acceptance?format=pdf").data)
    assert literal("TEXT") in micro or literal_parts("TEXT") <= parts_in(micro, "TEXT")


def test_the_pdf_footer_prints_a_site_name_with_markup_literally(client, hostile, login_as, tmp_path):
    login_as(hostile["who"])
    text = pdf_text(tmp_path, client.get(f"/inspections/{hostile['acceptance'].id}/reports/acceptance?format=pdf").data)
    assert "&lt;" not in text and "&#34;" not in text


# ---------------------------------------------------------------- media path traversal

@pytest.fixture
def media(app, db, specs):
    """A photo of township A's site (on disk), one of township B's, and a user of township A."""
    c = factories.county(db)
    own_site = factories.site(db, c["village_a"])
    far_site = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community")
    town_a = factories.user(db, c["town_a"], username="town-a", role="township")
    root = Path(app.config["MEDIA_DIR"])
    rows = {}
    for name, site in (("own", own_site), ("far", far_site)):
        ins = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="self_assessment",
                                tier="standard", by=town_a)
        rel = f"photos/{name}/{name}-thumb.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(f"JPEG-{name}-CONTENT".encode())
        photo = Photo(inspection_id=ins.id, item_id="premises-exists", sha256=name * 16, size_bytes=10,
                      format="jpeg", width=1, height=1, original=rel, display=rel, thumb=rel, by_id=town_a.id)
        db.add(photo)
        rows[name] = rel
    (root.parent / "outside.txt").write_text("OUTSIDE-MEDIA-SECRET")
    db.commit()
    return {"town_a": town_a, **rows, "root": root}


TRAVERSALS = [
    "../outside.txt", "%2e%2e/outside.txt", "..%2foutside.txt", "%2e%2e%2foutside.txt", "photos/../../outside.txt",
    "photos/own/../../../outside.txt", "..\\outside.txt", "..%5coutside.txt", "photos%5c..%5c..%5coutside.txt",
    "/etc/passwd", "%2fetc%2fpasswd", "//etc/passwd", "C:\\Windows\\win.ini", "../../instance/secret_key",
    "..%2f..%2finstance%2fsecret_key", str(ROOT / "instance" / "secret_key"), "photos/own/./own-thumb.jpg",
    "photos//own/own-thumb.jpg", "photos/own/../own/own-thumb.jpg", "PHOTOS/OWN/OWN-THUMB.JPG",
]


def test_media_paths_cannot_leave_the_media_folder_or_the_region(client, media, login_as):
    login_as(media["town_a"])
    ok = client.get(f"/media/{media['own']}")
    assert ok.status_code == 200 and ok.data == b"JPEG-own-CONTENT"
    ok.close()
    key_file = ROOT / "instance" / "secret_key"
    secret = key_file.read_text().strip() if key_file.exists() else None
    for attempt in TRAVERSALS + [media["far"]]:
        r = client.get(f"/media/{attempt}", follow_redirects=True)  # "//" is first merged by a 308
        body = r.get_data()
        assert r.status_code == 404, (attempt, r.status_code)
        assert b"OUTSIDE-MEDIA-SECRET" not in body and b"JPEG-" not in body and b"root:" not in body, attempt
        if secret:
            assert secret.encode() not in body, attempt


def test_media_needs_a_signed_in_user(client, media):
    r = client.get(f"/media/{media['own']}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


# ---------------------------------------------------------------- sessions, throttling, cookies

@pytest.fixture
def two_users(db):
    c = factories.county(db)
    wang = factories.user(db, c["county"], username="wangfang")
    li = factories.user(db, c["county"], username="lijun")
    db.commit()
    return wang, li


def session_cookie(response) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("inspector_session=")]
    assert found, response.headers
    return found[-1].split(";")[0].split("=", 1)[1]


@pytest.mark.csrf
def test_login_starts_a_new_session_so_a_planted_cookie_is_worthless(client, two_users):
    page = client.get("/login")
    before = session_cookie(page)
    old_token = token_of(page.get_data(as_text=True))
    r = client.post("/login", data={"username": "wangfang", "password": PASSWORD, "csrf_token": old_token})
    after = session_cookie(r)
    assert r.status_code == 303 and after != before
    refused = client.post("/account/password", data={"csrf_token": old_token, "current": "x", "new": "y"})
    assert refused.status_code == 400  # the token minted before login died with that session
    assert client.get("/account/password").status_code == 200
    client.set_cookie("inspector_session", before)  # the attacker's cookie from before login
    assert client.get("/account/password").status_code == 302


@pytest.mark.csrf
def test_logout_empties_the_session(client, two_users):
    page = client.get("/login")
    client.post("/login", data={"username": "wangfang", "password": PASSWORD,
                                "csrf_token": token_of(page.get_data(as_text=True))})
    token = token_of(client.get("/account/password").get_data(as_text=True))
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303
    assert client.get("/account/password").status_code == 302
    stale = client.post("/account/password", data={"csrf_token": token})
    assert stale.status_code == 400  # the signed-in session's token is gone too


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, db, two_users):
    for _ in range(5):
        assert client.post("/login", data={"username": "wangfang", "password": "wrong-pass"}).status_code == 422
    r = client.post("/login", data={"username": "wangfang", "password": PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多，请 15 分钟后再试" in r.get_data(as_text=True)
    assert client.post("/login", data={"username": "lijun", "password": PASSWORD}).status_code == 303
    client.post("/logout")
    for row in db.exec(select(LoginAttempt)).all():  # fifteen minutes and a second pass
        row.at = row.at - timedelta(minutes=15, seconds=1)
        db.add(row)
    db.commit()
    assert client.post("/login", data={"username": "wangfang", "password": PASSWORD}).status_code == 303


def test_a_changed_secret_key_ends_the_session_unless_it_is_kept_as_a_fallback(app, client, two_users):
    """The session cookie's serializer and signing key are kept per process (web/security.SessionCookies):
    a new SECRET_KEY must still refuse cookies signed with the old one, a fallback key still accept
    them, and a cookie altered by one character is refused."""
    assert client.post("/login", data={"username": "wangfang", "password": PASSWORD}).status_code == 303
    assert client.get("/account/password").status_code == 200
    signed = client.get_cookie("inspector_session").value
    app.config["SECRET_KEY"] = app.secret_key = "a-new-key"
    assert client.get("/account/password").status_code == 302  # signed with the old key: signed out
    app.config["SECRET_KEY_FALLBACKS"] = ["test"]
    client.set_cookie("inspector_session", signed)
    assert client.get("/account/password").status_code == 200  # the old key kept as a fallback
    # one character of the signature changed: its first, whose six bits all count (the last one of an
    # unpadded base64 signature carries spare bits, so changing it may leave the same bytes)
    cut = signed.rindex(".") + 1
    tampered = signed[:cut] + ("A" if signed[cut] != "A" else "B") + signed[cut + 1:]
    client.set_cookie("inspector_session", tampered)
    assert client.get("/account/password").status_code == 302


def test_cookie_flags(client, two_users):
    r = client.post("/login", data={"username": "wangfang", "password": PASSWORD})
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("inspector_session=")][-1]
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and flags["samesite"] == "SameSite=Lax" and flags["path"] == "Path=/"
    assert "secure" not in flags and "expires" in flags


def test_cookies_are_secure_behind_https(db_url, tmp_path, monkeypatch, db, two_users):
    monkeypatch.setenv("INSPECTOR_HTTPS", "1")
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test",
                      "MEDIA_DIR": str(tmp_path / "media"), "WTF_CSRF_ENABLED": False})
    try:
        r = app.test_client().post("/login", data={"username": "wangfang", "password": PASSWORD},
                                   base_url="https://localhost")
        cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("inspector_session=")][-1]
        assert r.status_code == 303 and "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["engine"].dispose()

