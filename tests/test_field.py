"""Field inspection over HTTP: start with position, answer every kind, autosave rules, photos, submit."""
import re
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.models import Answer, Inspection, Photo, Site
from inspector.services import regions

from . import factories, samples

SITE = (34.870000, 116.860000)


@pytest.fixture
def field(app, db, login_as):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    who = factories.user(db, c["county"], username="wangfang")
    db.commit()
    login_as(who)
    return site


def start(client, site, *, lat=SITE[0], lon=SITE[1], accuracy=12, checklist="build-standard", purpose="inspection",
          tier="standard"):
    r = client.post(f"/sites/{site.id}/inspections", data={
        "purpose": purpose, "checklist": checklist, "tier": tier, "lat": lat, "lon": lon, "accuracy": accuracy})
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def item_url(ins_id, item_id):
    return f"/inspections/{ins_id}/items/{item_id}"


def test_pages_need_a_login(client, db):
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    db.commit()
    r = client.get(f"/sites/{site.id}/inspections/new")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_start_fixes_purpose_tier_and_position_inside_the_geofence(client, db, field):
    ins_id = start(client, field, lat=SITE[0] + 0.0005)  # ~55 m away
    ins = db.get(Inspection, ins_id)
    assert (ins.purpose, ins.tier, ins.status, ins.start_accuracy_m) == ("inspection", "standard", "draft", 12)
    assert [f["code"] for f in ins.start_flags] == []
    page = client.get(f"/inspections/{ins_id}").get_data(as_text=True)
    assert "村级党群服务中心建设标准" in page and "已查 0/" in page


def test_a_folded_walk_opens_every_section_with_open_all(client, db, field):
    """build-standard (39 items) folds: headers only; ?open=all (全部展开 without JavaScript) shows every item."""
    ins_id = start(client, field)
    folded = client.get(f"/inspections/{ins_id}").get_data(as_text=True)
    assert '<article id="item-' not in folded  # every section closed, each says what it will load
    assert folded.count("data-section-wait") == folded.count('data-section-url="') >= 12
    whole = client.get(f"/inspections/{ins_id}?open=all").get_data(as_text=True)
    assert whole.count('<article id="item-') == 39 and "data-section-wait" not in whole


def test_the_walk_page_loads_one_script_bundle_and_no_htmx(client, db, field):
    """Its saves go through the outbox, so htmx (16.5 KB gzip) is not part of its first visit."""
    ins_id = start(client, field)
    page = client.get(f"/inspections/{ins_id}").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"?]+)', page)
    assert scripts == ["/static/bundle/walk.js"] and "hx-post" not in page
    assert "/static/vendor/htmx.min.js" in client.get(f"/sites/{field.id}").get_data(as_text=True)


def test_start_outside_the_geofence_is_flagged_not_blocked(client, db, field):
    ins_id = start(client, field, lat=SITE[0] + 0.02)  # ~2.2 km away
    ins = db.get(Inspection, ins_id)
    assert [f["code"] for f in ins.start_flags] == ["outside_geofence"]
    assert "公里" in client.get(f"/inspections/{ins_id}").get_data(as_text=True)


def test_start_without_position_is_flagged(client, db, field):
    ins_id = start(client, field, lat="", lon="", accuracy="")
    assert [f["code"] for f in db.get(Inspection, ins_id).start_flags] == ["no_position"]


def test_start_refuses_a_checklist_for_another_purpose_with_422(client, field):
    r = client.post(f"/sites/{field.id}/inspections", data={"purpose": "red_landmark", "checklist": "build-standard",
                                                             "tier": "standard"})
    assert r.status_code == 422 and "不用于该目的" in r.get_data(as_text=True)


def test_measurement_judged_fail_then_pass_by_plain_post(client, db, field):
    ins_id = start(client, field)
    r = client.post(item_url(ins_id, "premises-building-area"), data={"value": "385", "client_id": "a1", "base_version": "0"})
    assert r.status_code == 303 and r.headers["Location"].endswith("?at=premises-building-area#item-premises-building-area")
    page = client.get(r.headers["Location"]).get_data(as_text=True)  # the item's section open, without JavaScript
    assert "实测 385 m²，要求 ≥ 400 m²，差 15 m²" in page
    client.post(item_url(ins_id, "premises-building-area"), data={"value": "412", "client_id": "a2", "base_version": "1"})
    answer = db.exec(select(Answer).where(Answer.item_id == "premises-building-area")).one()
    assert (answer.value, answer.result, answer.version) == (412.0, "pass", 2)
    ins = db.get(Inspection, ins_id)
    db.refresh(ins)
    assert ins.score is not None and ins.score > 0 and ins.verdict == "incomplete"  # kept for lists


@pytest.mark.parametrize("item_id, data, result, shown", [
    ("premises-exists", {"value": "fail"}, "fail", "不符合"),
    ("meeting-capacity", {"value": "60"}, "pass", "实测 60 座"),
    ("doc-committee-minutes", {"value": "missing"}, "fail", "不符合"),
    ("service-point-type", {"value": "express"}, "pass", "选择"),
    ("hall-area", {"na": "1", "value": ""}, "na", "不适用"),
])
def test_each_kind_is_saved_and_judged_through_htmx(client, db, field, item_id, data, result, shown):
    ins_id = start(client, field)
    r = client.post(item_url(ins_id, item_id), data=data | {"client_id": "c", "base_version": "0"},
                    headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith(f'<div id="state-{item_id}"')
    assert shown in body and 'id="progress" class="progress" hx-swap-oob="true"' in body
    assert db.exec(select(Answer).where(Answer.item_id == item_id)).one().result == result


def test_dimensions_rate_and_text_kinds(client, db, field):
    specs = client.application.extensions["checklists"]
    ins_id = start(client, field, checklist="micro-project", purpose="micro_project", tier="")
    plaque = next(i for i in specs["micro-project"].items() if i.kind == "dimensions")
    r = client.post(item_url(ins_id, plaque.id), data={"value_a": "35.2", "value_b": "24", "client_id": "d", "base_version": "0"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200 and '<span class="result result-pass">符合</span>' in r.get_data(as_text=True)
    r = client.post(item_url(ins_id, plaque.id), data={"value_a": "36", "value_b": "24", "client_id": "e", "base_version": "1"},
                    headers={"HX-Request": "true"})
    assert "不符合" in r.get_data(as_text=True) and "实测 长36 × 宽24 cm" in r.get_data(as_text=True)
    rate_ins = start(client, field, checklist="red-landmark", purpose="red_landmark", tier="")
    rate_item = next(i for i in specs["red-landmark"].items() if i.kind == "rate")
    r = client.post(item_url(rate_ins, rate_item.id), data={"respondents": "50", "satisfied": "44", "client_id": "r", "base_version": "0"},
                    headers={"HX-Request": "true"})
    assert "44/50 = 88.0%" in r.get_data(as_text=True)
    stored = db.exec(select(Answer).where(Answer.item_id == rate_item.id)).one()
    assert stored.value == {"respondents": 50, "satisfied": 44}
    r = client.post(item_url(ins_id, "mp-accept-details"), data={"value": "  修缮道路 120 米，安装路灯 6 盏  ", "base_version": "0"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert db.exec(select(Answer).where(Answer.item_id == "mp-accept-details")).one().value == "修缮道路 120 米，安装路灯 6 盏"


def test_bad_value_is_422_and_keeps_what_was_typed(client, db, field):
    ins_id = start(client, field)
    r = client.post(item_url(ins_id, "premises-building-area"), data={"value": "四百", "client_id": "b", "base_version": "0"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "测量值应为数字" in page and 'value="四百"' in page
    assert db.exec(select(Answer)).all() == []


def test_repeated_save_makes_one_row(client, db, field):
    ins_id = start(client, field)
    for _ in range(3):
        r = client.post(item_url(ins_id, "premises-building-area"), data={"value": "420", "client_id": "same", "base_version": "0"},
                        headers={"HX-Request": "true"})
        assert r.status_code == 200
    rows = db.exec(select(Answer)).all()
    assert len(rows) == 1 and rows[0].version == 1


def test_stale_save_gets_409_with_both_values(client, db, field):
    ins_id = start(client, field)
    client.post(item_url(ins_id, "premises-building-area"), data={"value": "420", "client_id": "p1", "base_version": "0",
                                                          "device_id": "phone-1"})
    r = client.post(item_url(ins_id, "premises-building-area"), data={"value": "380", "client_id": "p2", "base_version": "0",
                                                              "device_id": "phone-2"}, headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert r.status_code == 409
    assert re.search(r"data-theirs>420 m²", body) and re.search(r"data-mine>380 m²", body)
    assert db.exec(select(Answer)).one().value == 420.0  # never a silent overwrite


def test_same_device_retry_after_a_lost_reply_is_not_a_conflict(client, db, field):
    ins_id = start(client, field)
    client.post(item_url(ins_id, "premises-building-area"), data={"value": "420", "client_id": "p1", "base_version": "0",
                                                          "device_id": "phone-1"})
    r = client.post(item_url(ins_id, "premises-building-area"), data={"value": "430", "client_id": "p2", "base_version": "0",
                                                              "device_id": "phone-1"})
    assert r.status_code == 303 and db.exec(select(Answer)).one().value == 430.0


def test_forged_ids_answer_404(client, field):
    ins_id = start(client, field)
    assert client.post(item_url(ins_id, "no-such-item"), data={"value": "pass", "base_version": "0"}).status_code == 404
    assert client.post(item_url(999999, "premises-building-area"), data={"value": "pass", "base_version": "0"}).status_code == 404
    assert client.get("/inspections/999999").status_code == 404


def test_photo_upload_stores_files_and_flags_and_serves_the_thumbnail(app, client, db, field):
    ins_id = start(client, field)
    data = samples.jpeg(orientation=6, lat=SITE[0] + 0.01, lon=SITE[1])  # EXIF GPS ~1.1 km from the phone
    r = client.post(f"{item_url(ins_id, 'premises-exists')}/photos", headers={"HX-Request": "true"},
                    data={"photos": (__import__("io").BytesIO(data), "IMG_0001.JPG"), "lat": SITE[0],
                          "lon": SITE[1], "accuracy": "8"}, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 200, body
    photo = db.exec(select(Photo)).one()
    assert (photo.width, photo.height) == (480, 640)  # rotated upright
    assert [f["code"] for f in photo.flags] == ["exif_gps_far", "exif_time_far"]
    media = Path(app.config["MEDIA_DIR"])
    assert (media / photo.original).read_bytes() == data
    with client.get(f"/media/{photo.thumb}") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert f"/media/{photo.thumb}" in body


def test_broken_photo_is_refused_with_the_reason_and_leaves_nothing(app, client, db, field):
    import io
    ins_id = start(client, field)
    r = client.post(f"{item_url(ins_id, 'premises-exists')}/photos", headers={"HX-Request": "true"},
                    data={"photos": (io.BytesIO(b"not really a jpeg"), "photo.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 415 and "不是可识别的图片" in r.get_data(as_text=True)
    assert db.exec(select(Photo)).all() == []
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_media_paths_cannot_leave_the_media_folder(client, field):
    assert client.get("/media/../pyproject.toml").status_code == 404
    assert client.get("/media/%2e%2e/%2e%2e/etc/passwd").status_code == 404


def test_submit_refuses_while_items_are_open_then_submits(client, db, field):
    field.site_type = "community"
    db.commit()
    ins_id = start(client, field, checklist="service-ledger", purpose="inspection", tier="")
    r = client.post(f"/inspections/{ins_id}/submit")
    assert r.status_code == 422 and "还有 19 项未检查" in r.get_data(as_text=True)
    for item in client.application.extensions["checklists"]["service-ledger"].items():
        data = {"value": "present"} if item.kind == "document" else {"value": "pass"} if item.kind == "check" \
            else {"na": "1"}
        assert client.post(item_url(ins_id, item.id), data=data | {"base_version": "0"}).status_code == 303
    r = client.post(f"/inspections/{ins_id}/submit")
    summary = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已提交" in summary and "提交检查结果" not in summary
    ins = db.get(Inspection, ins_id)
    db.refresh(ins)
    assert ins.status == "submitted" and ins.submitted_at is not None
    late = client.post(item_url(ins_id, "sl-report-letter"), data={"value": "missing", "base_version": "0"})
    assert late.status_code == 409


def test_site_location_in_gcj02_is_stored_as_wgs84(client, db, field):
    r = client.post(f"/sites/{field.id}/location", data={"system": "gcj02", "lat": "39.915", "lon": "116.404",
                                                          "geofence_m": "150"})
    assert r.status_code == 303
    site = db.get(Site, field.id)
    db.refresh(site)
    assert abs(site.lat - 39.91359571849836) < 1e-5 and abs(site.lon - 116.39775550083061) < 1e-5
    assert site.geofence_m == 150
    bad = client.post(f"/sites/{field.id}/location", data={"system": "wgs84", "lat": "39.9", "lon": "16.4"})
    assert bad.status_code == 422 and "不在中国境内" in bad.get_data(as_text=True)
    words = client.post(f"/sites/{field.id}/location", data={"system": "wgs84", "lat": "北纬39.9", "lon": "116.4"})
    assert words.status_code == 422 and "纬度、经度、范围应为数字" in words.get_data(as_text=True)


@pytest.mark.csrf
def test_posts_without_a_csrf_token_are_refused(client, field):
    r = client.post(f"/sites/{field.id}/inspections", data={"purpose": "inspection", "checklist": "build-standard",
                                                             "tier": "standard"})
    assert r.status_code == 400


def test_the_same_photo_at_another_site_is_flagged_and_stored_once(app, client, db, field):
    import io
    other = factories.site(db, regions.by_code(session=db, code="T102001"), name="吴庄社区党群服务中心",
                           site_type="community", lat=34.64, lon=116.98)
    db.commit()
    data = samples.jpeg(lat=None, lon=None, taken=None)
    first = start(client, field)
    second = start(client, other)
    for ins_id in (first, second):
        r = client.post(f"{item_url(ins_id, 'premises-exists')}/photos",
                        data={"photos": (io.BytesIO(data), "same.jpg"), "lat": SITE[0], "lon": SITE[1], "accuracy": "9"},
                        content_type="multipart/form-data")
        assert r.status_code == 303
    rows = db.exec(select(Photo).order_by(Photo.id)).all()
    assert [f["code"] for f in rows[0].flags] == []
    assert "duplicate_photo" in [f["code"] for f in rows[1].flags]
    assert rows[0].original == rows[1].original  # same content stored once
    originals = [p for p in (Path(app.config["MEDIA_DIR"]) / "originals").rglob("*") if p.is_file()]
    assert len(originals) == 1
