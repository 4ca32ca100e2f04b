"""Light photos keep their evidence; a photo sent twice is stored once; late uploads are flagged;
photos can be deleted, replaced and marked up before submission, files kept until the close."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from sqlmodel import select

from inspector.core.photos import PhotoError
from inspector.models import AuditLog, Inspection, Photo, Region, User
from inspector.services import evidence, photo_manage

from . import factories, samples
from .test_field import SITE, item_url, start

CST = timezone(timedelta(hours=8))


@pytest.fixture
def field(app, db, login_as):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    who = factories.user(db, c["county"], username="wangfang")
    db.commit()
    login_as(who)
    return site


def app1_of(jpeg: bytes) -> bytes:
    """The EXIF APP1 segment of a JPEG, marker and length included (what photoprep.js copies)."""
    i = 2
    while jpeg[i] == 0xFF and jpeg[i + 1] not in (0xDA, 0xD9):
        length = int.from_bytes(jpeg[i + 2:i + 4], "big")
        if jpeg[i + 1] == 0xE1 and jpeg[i + 4:i + 10] == b"Exif\0\0":
            return jpeg[i:i + 2 + length]
        i += 2 + length
    raise AssertionError("no EXIF segment")


def with_orientation_1(app1: bytes) -> bytes:
    """The APP1 segment with IFD0's Orientation set to 1, edited in place as photoprep.js does."""
    seg = bytearray(app1)
    tiff = 10
    order = "little" if seg[tiff:tiff + 2] == b"II" else "big"
    ifd = tiff + int.from_bytes(seg[tiff + 4:tiff + 8], order)
    for n in range(int.from_bytes(seg[ifd:ifd + 2], order)):
        entry = ifd + 2 + n * 12
        if int.from_bytes(seg[entry:entry + 2], order) == 0x0112:
            seg[entry + 8:entry + 10] = (1).to_bytes(2, order)
    return bytes(seg)


def prepare_like_the_phone(original: bytes, max_edge: int = 2048, quality: int = 80) -> bytes:
    """Pillow doing what photoprep.js does: upright pixels, long edge ≤ 2048, JPEG q 0.8, the
    original's APP1 moved across with Orientation 1."""
    with Image.open(io.BytesIO(original)) as img:
        upright = ImageOps.exif_transpose(img).convert("RGB")
    upright.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=quality)
    encoded = out.getvalue()
    return encoded[:2] + with_orientation_1(app1_of(original)) + encoded[2:]


def post_photo(client, ins_id, item, data, name="IMG_0001.JPG", **fields):
    form = {"photo": (io.BytesIO(data), name), "lat": SITE[0], "lon": SITE[1], "accuracy": "8"} | fields
    return client.post(f"{item_url(ins_id, item)}/photos", headers={"HX-Request": "true"}, data=form,
                       content_type="multipart/form-data")


def test_a_photo_resized_on_the_phone_gets_exactly_the_flags_of_its_original(client, db, field):
    original = samples.jpeg(4000, 3000, orientation=6, lat=SITE[0] + 0.01, lon=SITE[1])  # EXIF GPS 1.1 km off
    resized = prepare_like_the_phone(original)
    assert len(resized) < len(original)  # (the byte ratio on a photo-like 12 MP file: bench/photo_upload.py)
    ins_id = start(client, field)
    assert post_photo(client, ins_id, "premises-exists", original).status_code == 200
    r = post_photo(client, ins_id, "premises-name-sign", resized, original_sha256=hashlib.sha256(original).hexdigest(),
                   original_size=str(len(original)), original_name="IMG_0001.JPG", prepared="resized")
    assert r.status_code == 200, r.get_data(as_text=True)
    full, light = sorted(db.exec(select(Photo)).all(), key=lambda p: p.id)
    assert light.flags == full.flags and [f["code"] for f in full.flags] == ["exif_gps_far", "exif_time_far"]
    assert (light.exif_time, light.exif_lat, light.exif_lon) == (full.exif_time, full.exif_lat, full.exif_lon)
    assert (full.width, full.height) == (3000, 4000) and (light.width, light.height) == (1536, 2048)  # both upright
    # the record says what was taken: the original's hash and size, shown on the photo's page
    assert (light.original_sha256, light.original_size) == (full.sha256, len(original))
    page = client.get(f"/photos/{light.id}").get_data(as_text=True)
    assert full.sha256 in page and f"{len(original):,} 字节" in page and "手机压缩后上传" in page


def test_the_same_original_resized_elsewhere_is_a_reused_photo(client, db, field, login_as):
    original = samples.jpeg(2400, 1800, lat=SITE[0], lon=SITE[1])
    first, second = start(client, field), start(client, field)
    assert post_photo(client, first, "premises-exists", original).status_code == 200
    post_photo(client, second, "premises-exists", prepare_like_the_phone(original),
               original_sha256=hashlib.sha256(original).hexdigest(), original_size=str(len(original)))
    reused = db.exec(select(Photo).where(Photo.inspection_id == second)).one()
    assert "duplicate_photo" in [f["code"] for f in reused.flags]


def test_a_photo_sent_twice_with_one_client_id_is_stored_once(app, client, db, field):
    ins_id = start(client, field)
    data = samples.jpeg(lat=SITE[0], lon=SITE[1])
    one = post_photo(client, ins_id, "premises-exists", data, client_id="c0ffee-photo-1")
    files = sorted(p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file())
    again = post_photo(client, ins_id, "premises-exists", data, client_id="c0ffee-photo-1")
    assert (one.status_code, again.status_code) == (200, 200)
    assert one.headers["X-Photo-Id"] == again.headers["X-Photo-Id"]
    assert len(db.exec(select(Photo)).all()) == 1
    assert sorted(p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()) == files
    assert "照片 1/" in again.get_data(as_text=True)


def test_bad_capture_fields_are_refused_with_a_reason(client, db, field):
    ins_id = start(client, field)
    r = post_photo(client, ins_id, "premises-exists", samples.jpeg(), captured_at="yesterday")
    assert r.status_code == 400 and "采集时间" in r.get_data(as_text=True)
    r = post_photo(client, ins_id, "premises-exists", samples.jpeg(), original_sha256="abc")
    assert r.status_code == 400 and "原图校验值" in r.get_data(as_text=True)
    assert db.exec(select(Photo)).all() == []


def test_a_photo_queued_offline_and_sent_3_hours_later_is_flagged_late(client, db, field):
    taken = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3, minutes=5)
    data = samples.jpeg(lat=SITE[0], lon=SITE[1], taken=taken.strftime("%Y:%m:%d %H:%M:%S"))
    ins_id = start(client, field)
    r = post_photo(client, ins_id, "premises-exists", data, captured_at=taken.astimezone(timezone.utc).isoformat())
    photo = db.exec(select(Photo)).one()
    # EXIF time agrees with the phone's capture time: not a gallery photo, only a late one
    assert [f["label"] for f in photo.flags] == ["离线采集，上传晚 3.1 小时"]
    assert "离线采集，上传晚 3.1 小时" in r.get_data(as_text=True)
    assert photo.captured_at == taken


def upload_one(client, db, field, data=None):
    ins_id = start(client, field)
    assert post_photo(client, ins_id, "premises-exists", data or samples.jpeg(lat=SITE[0], lon=SITE[1])).status_code == 200
    return ins_id, db.exec(select(Photo)).one()


def files_of(app, photo):
    return [Path(app.config["MEDIA_DIR"]) / p for p in (photo.original, photo.display, photo.thumb)]


def test_delete_needs_a_reason_is_audit_logged_and_keeps_the_files_until_the_close(app, client, db, field):
    ins_id, photo = upload_one(client, db, field)
    r = client.post(f"/photos/{photo.id}/delete", data={"reason": " "})
    assert r.status_code == 422 and "请填写原因" in r.get_data(as_text=True)
    r = client.post(f"/photos/{photo.id}/delete", data={"reason": "拍错了条目"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/inspections/{ins_id}?at=premises-exists#item-premises-exists")
    db.expire_all()
    assert db.get(Photo, photo.id).delete_reason == "拍错了条目"
    log = db.exec(select(AuditLog).where(AuditLog.action == "photo_delete")).one()
    assert log.entity_id == photo.id and log.after == {"reason": "拍错了条目"}
    walk = client.get(f"/inspections/{ins_id}?open=all").get_data(as_text=True)
    assert photo.thumb not in walk and evidence.photos_of(session=db, inspection=db.get(Inspection, ins_id)) == {}
    assert all(f.exists() for f in files_of(app, photo))
    assert "已删除" in client.get(f"/photos/{photo.id}").get_data(as_text=True)
    media = Path(app.config["MEDIA_DIR"])
    assert photo_manage.purge_closed(session=db, media_root=media) == []  # still a draft: nothing removed
    inspection = db.get(Inspection, ins_id)
    inspection.status = "approved"
    db.add(inspection)
    db.commit()
    assert sorted(photo_manage.purge_closed(session=db, media_root=media)) == sorted(
        [photo.original, photo.display, photo.thumb])
    db.commit()
    assert not any(f.exists() for f in files_of(app, photo)) and db.get(Photo, photo.id).purged_at is not None


def test_replace_keeps_the_old_photo_deleted_with_the_reason(app, client, db, field):
    ins_id, old = upload_one(client, db, field)
    new_data = samples.jpeg(color=(90, 120, 60), lat=SITE[0], lon=SITE[1])
    r = client.post(f"/photos/{old.id}/replace", content_type="multipart/form-data",
                    data={"reason": "照片模糊，重拍", "photo": (io.BytesIO(new_data), "IMG_0002.JPG"),
                          "lat": SITE[0], "lon": SITE[1], "accuracy": "9", "client_id": "replace-0001"})
    assert r.status_code == 303, r.get_data(as_text=True)
    db.expire_all()
    new = db.exec(select(Photo).where(Photo.id != old.id)).one()
    assert r.headers["Location"].endswith(f"/photos/{new.id}")
    old = db.get(Photo, old.id)
    assert (old.replaced_by_id, old.delete_reason) == (new.id, "照片模糊，重拍")
    assert {a.action for a in db.exec(select(AuditLog)).all()} >= {"photo_delete", "photo_replace"}
    live = evidence.photos_of(session=db, inspection=db.get(Inspection, ins_id))
    assert [p.id for p in live["premises-exists"]] == [new.id]
    assert all(f.exists() for f in files_of(app, old))
    r = client.post(f"/photos/{new.id}/replace", content_type="multipart/form-data",
                    data={"reason": "再换", "photo": (io.BytesIO(new_data), "same.jpg")})
    assert r.status_code == 422 and "新照片与原照片相同" in r.get_data(as_text=True)


def test_markup_is_a_new_photo_linked_to_its_original_which_is_kept(app, client, db, field):
    ins_id, original = upload_one(client, db, field)
    page = client.get(f"/photos/{original.id}/markup").get_data(as_text=True)
    assert f"/media/{original.original}" in page and "markup.js" in page
    buf = io.BytesIO()
    with Image.open(io.BytesIO(samples.jpeg())) as drawn:  # what markup.js sends: the photo with a red stroke
        drawn.paste((255, 0, 0), (100, 100, 300, 110))
        drawn.save(buf, "JPEG")
    r = client.post(f"/photos/{original.id}/markup", content_type="multipart/form-data",
                    data={"photo": (io.BytesIO(buf.getvalue()), "markup.jpg"), "client_id": "markup-00001"})
    assert r.status_code == 303
    db.expire_all()
    copy = db.get(Photo, int(r.headers["X-Photo-Id"]))
    assert copy.derived_from_id == original.id and copy.item_id == original.item_id
    assert (copy.flags, copy.exif_time, copy.device_lat) == (original.flags, original.exif_time, original.device_lat)
    live = evidence.photos_of(session=db, inspection=db.get(Inspection, ins_id))["premises-exists"]
    assert [p.id for p in live] == [original.id, copy.id] and evidence.photo_counts({"x": live}) == {"x": 1}
    assert "标注自" in client.get(f"/photos/{copy.id}").get_data(as_text=True)
    walk = client.get(f"/inspections/{ins_id}?open=all").get_data(as_text=True)
    assert re.search(r"照片 1(/\d+)?（另有标注 1 张）", walk)


def test_nothing_changes_after_submission(client, db, field):
    ins_id, photo = upload_one(client, db, field)
    inspection = db.get(Inspection, ins_id)
    inspection.status = "submitted"
    db.add(inspection)
    db.commit()
    r = client.post(f"/photos/{photo.id}/delete", data={"reason": "不要了"})
    assert r.status_code == 409 and "不能再修改" in r.get_data(as_text=True)
    assert "删除照片" not in client.get(f"/photos/{photo.id}").get_data(as_text=True)
    db.expire_all()
    assert db.get(Photo, photo.id).deleted_at is None


def test_a_photo_of_another_village_is_not_found(client, db, field, login_as):
    _ins, photo = upload_one(client, db, field)
    other = db.exec(select(Region).where(Region.code == "T102001")).one()  # 吴庄社区, another township
    stranger = factories.user(db, other, username="wuzhuang", role="village")
    db.commit()
    client.post("/logout")
    login_as(stranger)
    assert client.get(f"/photos/{photo.id}").status_code == 404
    assert client.post(f"/photos/{photo.id}/delete", data={"reason": "x"}).status_code == 404


def test_a_county_requiring_originals_refuses_a_resized_photo(app, client, db, field):
    ins_id = start(client, field)
    inspection = db.get(Inspection, ins_id)
    who = db.get(User, inspection.created_by_id)
    original = samples.jpeg(2400, 1800, lat=SITE[0], lon=SITE[1])
    common = dict(session=db, inspection=inspection, item_id="premises-exists", device=None, by=who,
                  media_root=Path(app.config["MEDIA_DIR"]), accuracy_limit_m=100, require_original=True)
    with pytest.raises(PhotoError, match="要求上传原图"):
        evidence.attach_photo(data=prepare_like_the_phone(original), **common, capture=evidence.Capture(
            original_sha256=hashlib.sha256(original).hexdigest(), prepared="resized"))
    photo, _created = evidence.attach_photo(data=original, capture=evidence.Capture(prepared="original"), **common)
    assert photo.prepared == "original" and photo.original_sha256 == photo.sha256


def test_the_purge_command_removes_deleted_photos_of_closed_inspections(app, client, db, field, runner):
    ins_id, photo = upload_one(client, db, field)
    assert client.post(f"/photos/{photo.id}/delete", data={"reason": "拍错了"}).status_code == 303
    assert "文件 0 个" in runner.invoke(args=["media", "purge-deleted"]).output  # a draft keeps everything
    inspection = db.get(Inspection, ins_id)
    inspection.status = "accepted"
    db.add(inspection)
    db.commit()
    assert "文件 3 个" in runner.invoke(args=["media", "purge-deleted"]).output
    assert not any(f.exists() for f in files_of(app, photo))
