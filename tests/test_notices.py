"""Public notices: the page anyone can open from the QR (no login), its photos and its printed PDF."""
import re
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.core import photos, workdays
from inspector.models import Notice, User
from inspector.services import notices

from . import factories, samples
from .test_documents import SEED_NAME


def run(*args: str) -> str:
    """Run a poppler or zbar tool and return what it printed; a document's text never names a seed file."""
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if args[0] == "pdftotext":
        assert not SEED_NAME.search(out), SEED_NAME.search(out).group(0)
    return out


def store_photo(app, color) -> photos.StoredPhoto:
    mark = photos.Watermark(site="张庄村党群服务中心", server_time=datetime(2026, 4, 20, 2, 0, tzinfo=timezone.utc),
                            lat=34.87, lon=116.86, accuracy_m=8, inspector="张三")
    return photos.ingest(samples.jpeg(color=color), media_root=Path(app.config["MEDIA_DIR"]), watermark=mark)


@pytest.fixture
def posted(app, db):
    """A red-landmark result notice posted Wednesday 2026-04-29 for 7 working days, over May Day.

    2026 May Day: 5-1 (Fri) to 5-5 (Tue) off, Saturday 5-9 a make-up working day. The 7 working days
    are 4-29, 4-30, 5-6, 5-7, 5-8, 5-9 and 5-11: the notice ends on Monday 2026-05-11.
    """
    c = factories.county(db)
    site = factories.site(db, c["village_a"], name="数据库里的站点名")
    poster = factories.user(db, c["town_a"], username="poster", role="township")
    poster.display_name = "发布人王五"
    before, after = store_photo(app, (120, 160, 90)), store_photo(app, (40, 90, 200))
    content = {
        "site": "张庄村党群服务中心",
        "region": "龙固镇 张庄村",
        "sections": [{"label": "评定对象", "value": "张庄村党群服务中心"},
                     {"label": "评定结果", "value": "拟命名为“红色地标”"},
                     {"label": "评定依据", "value": "徐州市红色地标评定办法（试行）"}],
        "body": "经村级申报、乡镇推荐、县级审核、市级评审，现将评定结果予以公示。\n公示期间接受群众监督。",
        "photos": [{"caption": "服务大厅", "display": before.display, "thumb": before.thumb},
                   {"caption": "党员活动室", "display": after.display, "thumb": after.thumb}],
        "contact": "监督电话：0516-89620000",
        "issuer": "中共徐州市委组织部",
        "internal_note": "内部评审意见勿公开",
    }
    notice = notices.post(session=db, kind="red_landmark_result", site=site, subject_id=424242,
                          title="2026年度红色地标评定结果公示", content=content, start=date(2026, 4, 29),
                          working_days=7, calendar=workdays.load(), by=poster)
    db.commit()
    return notice, content, (before, after)


def page(app, client, notice, day: date) -> str:
    app.config["TODAY"] = day
    r = client.get(f"/notice/{notice.public_id}")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in r.headers  # nothing per visitor: a proxy may cache it
    return r.get_data(as_text=True)


def state_of(html: str) -> str:
    return re.search(r'data-state="[a-z]+" role="status">([^<]+)<', html).group(1)


def test_the_notice_ends_on_the_seventh_working_day_after_may_day(posted):
    notice, _content, _photos = posted
    assert notice.end_date == date(2026, 5, 11)


@pytest.mark.parametrize("day, expected", [
    (date(2026, 4, 28), "公示将于 2026年4月29日 开始"),
    (date(2026, 4, 29), "公示中，还剩 7 个工作日"),   # the first day counts
    (date(2026, 4, 30), "公示中，还剩 6 个工作日"),
    (date(2026, 5, 2), "公示中，还剩 5 个工作日"),    # May Day holiday: 5-6, 5-7, 5-8, 5-9, 5-11 left
    (date(2026, 5, 9), "公示中，还剩 2 个工作日"),    # the make-up Saturday is a working day
    (date(2026, 5, 10), "公示中，还剩 1 个工作日"),   # Sunday: only Monday 5-11 is left
    (date(2026, 5, 11), "公示中，还剩 1 个工作日"),   # the last day
    (date(2026, 5, 12), "公示已结束"),
    (date(2027, 3, 1), "公示已结束"),                 # 2027's holidays are unknown, not needed here
])
def test_public_page_without_login_shows_the_period_state(app, client, posted, day, expected):
    notice, _content, _photos = posted
    html = page(app, client, notice, day)
    assert state_of(html) == expected
    assert "公示期：2026年4月29日 至 2026年5月11日，共 7 个工作日" in html


def test_public_page_shows_the_content_and_nothing_else(app, client, posted):
    notice, content, _photos = posted
    html = page(app, client, notice, date(2026, 5, 6))
    assert "2026年度红色地标评定结果公示" in html and "张庄村党群服务中心" in html and "龙固镇 张庄村" in html
    for s in content["sections"]:
        assert f"<dt>{s['label']}</dt><dd>{s['value']}</dd>" in html.replace("&#34;", '"')
    assert "经村级申报、乡镇推荐、县级审核、市级评审" in html and "监督电话：0516-89620000" in html
    assert "中共徐州市委组织部" in html and "服务大厅" in html and "党员活动室" in html
    # not in the content: never shown
    for hidden in ("内部评审意见勿公开", "数据库里的站点名", "发布人王五", "poster", "424242", "得分", "分数"):
        assert hidden not in html, hidden
    assert "csrf" not in html.lower() and "<form" not in html and "退出" not in html
    # photos are linked by their position in the content, never by a file path
    assert f"/notice/{notice.public_id}/photo/1/thumb" in html and f"/notice/{notice.public_id}/photo/2/display" in html
    assert "/media/" not in html and "thumb/" not in html.replace(f"/notice/{notice.public_id}/photo/", "")


def test_a_site_name_with_markup_is_escaped(app, client, db, posted):
    notice, content, _photos = posted
    row = db.get(Notice, notice.id)
    row.content = {**content, "site": "<script>alert(1)</script>张庄村", "body": '"><img src=x onerror=alert(2)>'}
    db.commit()
    html = page(app, client, notice, date(2026, 5, 6))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;张庄村" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_a_signed_in_visitor_gets_a_private_copy(app, client, db, login_as, posted):
    """Their session cookie may be refreshed on the response: a shared cache must not keep it."""
    notice, _content, _photos = posted
    login_as(db.exec(select(User).where(User.username == "poster")).one())
    r = client.get(f"/notice/{notice.public_id}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "private, max-age=300"


def test_unknown_notice_is_404(client, posted):
    assert client.get("/notice/no-such-notice").status_code == 404
    assert client.get("/notice/no-such-notice.pdf").status_code == 404
    assert client.get("/notice/no-such-notice/photo/1/thumb").status_code == 404


def test_photos_are_served_by_their_place_in_the_content_only(app, client, db, posted):
    notice, content, (before, after) = posted
    media = Path(app.config["MEDIA_DIR"])
    with client.get(f"/notice/{notice.public_id}/photo/1/thumb") as r:
        assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data == (media / before.thumb).read_bytes()
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "public, max-age=300"
    with client.get(f"/notice/{notice.public_id}/photo/2/display") as r:
        assert r.status_code == 200 and r.data == (media / after.display).read_bytes()
    for bad in ("0/thumb", "3/thumb", "-1/thumb", "1/original", "1/../../secret_key", "x/thumb"):
        assert client.get(f"/notice/{notice.public_id}/photo/{bad}").status_code == 404, bad
    # a path in the content that leaves the media folder is refused too
    row = db.get(Notice, notice.id)
    row.content = {**content, "photos": [{"caption": "x", "display": "../../instance/secret_key", "thumb": "/etc/passwd"}]}
    db.commit()
    assert client.get(f"/notice/{notice.public_id}/photo/1/display").status_code == 404
    assert client.get(f"/notice/{notice.public_id}/photo/1/thumb").status_code == 404


def test_a_withdrawn_notice_says_so_and_publishes_nothing(app, client, db, posted):
    notice, _content, _photos = posted
    db.get(Notice, notice.id).status = "withdrawn"
    db.commit()
    html = page(app, client, notice, date(2026, 5, 6))
    assert state_of(html) == "本公示已撤回" and "评定结果" not in html.replace("2026年度红色地标评定结果公示", "")
    assert client.get(f"/notice/{notice.public_id}/photo/1/thumb").status_code == 404
    assert client.get(f"/notice/{notice.public_id}.pdf").status_code == 404


def test_the_printed_notice(app, client, posted, tmp_path):
    notice, content, _photos = posted
    app.config["TODAY"] = date(2026, 5, 6)
    app.config["PUBLIC_URL"] = "http://localhost"  # the QR's canonical address: then the PDF may be cached publicly
    r = client.get(f"/notice/{notice.public_id}.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert r.headers["Cache-Control"] == "public, max-age=300"
    path = tmp_path / "notice.pdf"
    path.write_bytes(r.data)

    text = run("pdftotext", str(path), "-")
    flat = re.sub(r"\s+", "", text)
    assert "2026年度红色地标评定结果公示" in flat and "张庄村党群服务中心" in flat and "龙固镇张庄村" in flat
    for s in content["sections"]:
        assert s["label"] in flat and s["value"] in flat
    assert "公示期：2026年4月29日至2026年5月11日，共7个工作日" in flat
    assert "监督电话：0516-89620000" in flat and "中共徐州市委组织部" in flat and "服务大厅" in flat
    for hidden in ("内部评审意见勿公开", "数据库里的站点名", "发布人王五", "424242"):
        assert hidden not in flat
    assert "□" not in text

    fonts = run("pdffonts", str(path))
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, with ToUnicode
    images = [line for line in run("pdfimages", "-list", str(path)).splitlines()[2:] if line.strip()]
    assert len(images) == 2  # the two display photos, as print copies; the QR code is vector

    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    decoded = run("zbarimg", "--quiet", "--raw", str(tmp_path / "p-1.png")).strip()
    assert decoded == f"http://localhost/notice/{notice.public_id}"
    assert client.get(decoded.replace("http://localhost", "")).status_code == 200

    # deterministic: rendered again from scratch, the same bytes
    app.extensions["notice_pdfs"].clear()
    app.config["TODAY"] = date(2026, 5, 12)
    assert client.get(f"/notice/{notice.public_id}.pdf").data == r.data


def test_a_missing_photo_file_is_said_on_the_paper(app, client, posted, tmp_path):
    notice, _content, (before, _after) = posted
    (Path(app.config["MEDIA_DIR"]) / before.display).unlink()
    r = client.get(f"/notice/{notice.public_id}.pdf")
    assert r.status_code == 200
    path = tmp_path / "n.pdf"
    path.write_bytes(r.data)
    assert "照片文件缺失" in run("pdftotext", str(path), "-")

