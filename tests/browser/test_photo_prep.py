"""Photos on a phone: a 12 MP photo is resized in Chromium before upload and keeps its evidence;
a photo can be marked up, replaced and deleted at 390 × 844 with big tap targets."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from inspector.models import AuditLog, Photo

from .. import factories
from .conftest import signed_in_phone
from .test_field_inspection import SITE, item, start

pytestmark = pytest.mark.browser


def photo_like_12mp() -> bytes:
    """A 4032 × 3024 JPEG that compresses like a photo (gradients and sensor-like noise), stored
    sideways with Orientation 6 as a phone held upright writes it, with GPS and DateTimeOriginal."""
    size = (4032, 3024)
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.effect_noise((size[0] // 16, size[1] // 16), 60).resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, 30)
    img = Image.merge("RGB", [Image.blend(b, grain, 0.18) for b in (red, green, blue)])
    exif = Image.Exif()
    exif[274] = 6
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (34.0, 52.0, 12.0), "E", (116.0, 51.0, 36.0)
    exif.get_ifd(0x8769)[36867] = "2026:11:23 15:04:05"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def people(db):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=SITE[0], lon=SITE[1])
    who = factories.user(db, c["county"], username="wangfang")
    db.commit()
    return site, who


def test_a_12_mp_photo_is_resized_in_chromium_and_keeps_its_evidence(app, browser, live_server, db, people, tmp_path):
    site, who = people
    original = photo_like_12mp()
    assert len(original) > 3_000_000
    page = signed_in_phone(browser, live_server, who, position=(SITE[0] + 0.0003, SITE[1]))
    ins_id = start(page, site)
    path = tmp_path / "IMG_4032.JPG"
    path.write_bytes(original)

    # the original sent whole to one item, with the same capture facts, as the reference
    token = page.locator("input[name=csrf_token]").first.input_value()
    r = page.request.post(f"/inspections/{ins_id}/items/premises-name-sign/photos", headers={"HX-Request": "true"},
                          multipart={"photos": {"name": "IMG_4032.JPG", "mimeType": "image/jpeg", "buffer": original},
                                     "csrf_token": token, "lat": str(SITE[0] + 0.0003), "lon": str(SITE[1]),
                                     "accuracy": "10", "captured_at": datetime.now(timezone.utc).isoformat()})
    assert r.status == 200

    # the same file chosen on the phone for another item: prepared by photoprep.js, then sent
    item(page, "premises-exists").locator("input[type=file]").set_input_files(str(path))
    expect(item(page, "premises-exists").locator(".thumbs img")).to_have_count(1, timeout=30000)
    full = db.exec(select(Photo).where(Photo.item_id == "premises-name-sign")).one()
    light = db.exec(select(Photo).where(Photo.item_id == "premises-exists")).one()
    assert light.prepared == "resized" and light.size_bytes <= 500_000 and light.size_bytes * 6 <= len(original)
    assert (light.original_sha256, light.original_size) == (hashlib.sha256(original).hexdigest(), len(original))
    assert light.original_name == "IMG_4032.JPG" and light.captured_at is not None
    assert max(light.width, light.height) == 2048 and light.height > light.width  # upright portrait, like the original
    assert (full.width, full.height) == (3024, 4032)
    assert (light.exif_time, light.exif_lat, light.exif_lon) == (full.exif_time, full.exif_lat, full.exif_lon)
    assert light.flags == full.flags and [f["code"] for f in light.flags] == ["exif_time_far"]
    # the pixels were turned upright and Orientation set to 1: the stored file reads upright as it is
    with Image.open(Path(app.config["MEDIA_DIR"]) / light.original) as stored:
        assert stored.getexif().get(274) == 1 and stored.size == (1536, 2048)
    page.context.close()


def photo_id(url: str) -> int:
    return int(re.search(r"/photos/(\d+)$", url).group(1))  # and no device id in the address


def big(locator) -> None:
    """A tap target at least 48 px tall (CSS pixels)."""
    box = locator.bounding_box()
    assert box and box["height"] >= 48, box


def test_mark_up_replace_and_delete_on_a_phone(app, browser, live_server, db, people, tmp_path):
    site, who = people
    page = signed_in_phone(browser, live_server, who, position=(SITE[0] + 0.0003, SITE[1]))
    ins_id = start(page, site)
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    first.write_bytes(factories_jpeg((200, 180, 160)))
    second.write_bytes(factories_jpeg((60, 90, 140)))
    item(page, "premises-exists").locator("input[type=file]").set_input_files(str(first))
    expect(item(page, "premises-exists").locator(".thumbs img")).to_have_count(1)

    # open the photo: its record and the three actions
    item(page, "premises-exists").locator("[data-photo-link]").first.tap()
    expect(page.locator("h1")).to_have_text("照片")
    expect(page.locator(".photo-facts")).to_contain_text("文件 SHA-256")
    for name in ("替换照片", "删除照片"):
        big(page.get_by_role("button", name=name))
    big(page.get_by_role("link", name=re.compile("标注")))
    original_id = photo_id(page.url)

    # mark up: a circle dragged on the canvas, saved as a new photo linked to the original
    page.get_by_role("link", name=re.compile("标注")).tap()
    expect(page.locator("[data-markup-status]")).to_have_text("选工具后在照片上标注")
    page.get_by_role("button", name="圆圈").tap()
    box = page.locator("canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 20, steps=4)
    page.mouse.up()
    page.get_by_role("button", name="文字").tap()
    page.get_by_label("文字内容").fill("此处渗水")
    page.mouse.click(box["x"] + 20, box["y"] + 30)
    big(page.get_by_role("button", name="保存标注副本"))
    page.get_by_role("button", name="保存标注副本").tap()
    expect(page.locator(".notice")).to_contain_text("标注自")
    copy = db.exec(select(Photo).where(Photo.derived_from_id == original_id)).one()
    assert copy.item_id == "premises-exists" and db.get(Photo, original_id).deleted_at is None

    # replace the original with another photo, giving the reason
    page.goto(f"/photos/{original_id}")
    page.get_by_label("替换原因").fill("照片模糊，重拍")
    page.locator(".photo-replace input[type=file]").set_input_files(str(second))
    page.get_by_role("button", name="替换照片").tap()
    expect(page).not_to_have_url(re.compile(rf"/photos/{original_id}$"))
    new_id = photo_id(page.url)
    db.expire_all()
    assert db.get(Photo, original_id).replaced_by_id == new_id
    assert db.get(Photo, copy.id).deleted_at is not None  # the copy went with its original

    # delete the new photo: back on the walk page, the item has no photo left
    page.get_by_label("删除原因").fill("拍错了条目")
    page.get_by_role("button", name="删除照片").tap()
    expect(page).to_have_url(re.compile(rf"/inspections/{ins_id}\?at=premises-exists#item-premises-exists$"))
    expect(item(page, "premises-exists").locator(".thumbs img")).to_have_count(0)
    reasons = [a.after.get("reason") for a in db.exec(select(AuditLog).where(
        AuditLog.action.in_(["photo_delete", "photo_replace"]))).all()]
    assert "照片模糊，重拍" in reasons and "拍错了条目" in reasons
    assert all((Path(app.config["MEDIA_DIR"]) / p.original).exists() for p in db.exec(select(Photo)).all())  # kept on disk
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()


def factories_jpeg(colour) -> bytes:
    from .. import samples
    return samples.jpeg(1200, 900, lat=SITE[0], lon=SITE[1], color=colour)
