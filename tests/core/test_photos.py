"""The photo pipeline: what is accepted, what is refused, what lands on disk and what the copies look like."""
from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, ImageOps, ImageStat

from inspector.core import photos
from inspector.core.photos import decoding, render, store
from inspector.core.photos import PhotoError, Watermark, ingest

RED = (255, 0, 0)
GREY = (128, 128, 128)
UPRIGHT = (480, 320)  # landscape, so a missed or extra quarter turn shows in the size
TO_STORED = {  # how a camera stores an upright picture under each EXIF orientation (the inverse of display)
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
WM = Watermark(site="张庄村党群服务中心", server_time=datetime(2026, 11, 23, 7, 4, tzinfo=timezone.utc),
               lat=34.87, lon=116.86, accuracy_m=12, inspector="王芳")


def upright(size=UPRIGHT, background=GREY) -> Image.Image:
    """The picture as the inspector saw it: a red block in the top-left quarter."""
    img = Image.new("RGB", size, background)
    img.paste(RED, (0, 0, size[0] // 4, size[1] // 4))
    return img


def make_exif(orientation=1, gps=None, taken=None, offset=None, datetime_only=None) -> Image.Exif:
    """EXIF with an orientation, a GPS position ((ref, dms), (ref, dms)) and capture times."""
    exif = Image.Exif()
    exif[274] = orientation
    if gps:
        ifd = exif.get_ifd(0x8825)
        (ifd[1], ifd[2]), (ifd[3], ifd[4]) = gps
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if offset:
        exif.get_ifd(0x8769)[36881] = offset
    if datetime_only:
        exif[306] = datetime_only
    return exif


def encode(img: Image.Image, fmt="JPEG", exif: Image.Exif | None = None, **options) -> bytes:
    """Bytes of `img` saved as `fmt`, with EXIF if given."""
    buf = io.BytesIO()
    if exif is not None:
        options["exif"] = exif.tobytes()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def make_photo(orientation=1, size=UPRIGHT, fmt="JPEG", **exif_fields) -> bytes:
    """A photo stored as a phone stores it: pixels turned per `orientation`, the tag says how to undo it."""
    img = upright(size)
    if TO_STORED[orientation] is not None:
        img = img.transpose(TO_STORED[orientation])
    return encode(img, fmt, make_exif(orientation, **exif_fields), quality=95)


def png_claiming(width: int, height: int) -> bytes:
    """A valid 1×1 PNG whose IHDR claims another size (with a correct CRC)."""
    data = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then length and type of the first chunk
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4:ihdr + 13]))
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def files(root: Path) -> list[str]:
    """Every file under `root` (temp files included), relative and sorted."""
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def is_red(pixel) -> bool:
    """A JPEG-tolerant 'this is the red marker'."""
    r, g, b = pixel[:3]
    return r > 180 and g < 80 and b < 80


def assert_upright(img: Image.Image) -> None:
    """The red block sits top-left and nowhere else the test looks."""
    w, h = img.size
    assert is_red(img.getpixel((w // 16, h // 16))), "marker should be top-left"
    assert not is_red(img.getpixel((w - w // 16, h // 16))), "marker found top-right"
    assert not is_red(img.getpixel((w // 16, h // 2))), "marker found lower left"


@pytest.fixture
def media(tmp_path) -> Path:
    """An empty media root."""
    return tmp_path / "media"


def test_helper_matches_pillow_exif_transpose():
    """The test's own photos are right: Pillow's reference transpose finds the marker top-left."""
    for orientation in range(1, 9):
        with Image.open(io.BytesIO(make_photo(orientation))) as img:
            assert_upright(ImageOps.exif_transpose(img))


# --- orientation and sizes ------------------------------------------------------------------------

@pytest.mark.parametrize("orientation", range(1, 9))
def test_display_copy_is_upright_for_every_orientation(media, orientation):
    data = make_photo(orientation)
    stored = ingest(data, media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display, Image.open(media / stored.original) as original:
        assert display.size == UPRIGHT
        assert original.size == (UPRIGHT if orientation < 5 else UPRIGHT[::-1])
        assert_upright(display)
    assert (stored.width, stored.height) == UPRIGHT
    with Image.open(media / stored.thumb) as thumb:
        assert_upright(thumb)


def test_twelve_megapixels_draft_decode_to_half_size(media):
    stored = ingest(encode(upright((4032, 3024)), quality=90), media_root=media, watermark=WM)
    assert (stored.width, stored.height) == (4032, 3024)
    with Image.open(media / stored.display) as display:
        assert display.size == (2016, 1512)
        assert_upright(display)
    with Image.open(media / stored.thumb) as thumb:
        assert thumb.size == (320, 240)


def test_twelve_megapixels_portrait_orientation_six(media):
    stored = ingest(make_photo(6, size=(3024, 4032)), media_root=media, watermark=WM)
    assert (stored.width, stored.height) == (3024, 4032)
    with Image.open(media / stored.display) as display:
        assert display.size == (1512, 2016)
        assert_upright(display)


@pytest.mark.parametrize("size, fmt, expected", [
    ((3000, 2000), "JPEG", (2048, 1365)),  # too small to draft: one bilinear resize
    ((5000, 1000), "PNG", (2048, 410)),  # no draft for PNG: box-reduce by 2, then resize
    ((4032, 3024), "WEBP", (2016, 1512)),  # same size as the JPEG draft path
])
def test_display_and_thumb_bounds(media, size, fmt, expected):
    stored = ingest(encode(upright(size), fmt), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display, Image.open(media / stored.thumb) as thumb:
        assert display.size == expected
        assert max(display.size) <= 2048
        assert max(thumb.size) == 320
        assert display.format == thumb.format == "JPEG"


def test_small_photo_is_not_enlarged(media):
    stored = ingest(make_photo(1, size=(200, 100)), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display, Image.open(media / stored.thumb) as thumb:
        assert display.size == thumb.size == (200, 100)


def test_custom_display_and_thumb_limits(media):
    stored = ingest(make_photo(6, size=(1600, 1200)), media_root=media, watermark=WM,
                    display_max=1000, thumb_max=100)
    with Image.open(media / stored.display) as display, Image.open(media / stored.thumb) as thumb:
        assert display.size == (800, 600)  # 1/2 draft is within [0.75, 1] × 1000
        assert thumb.size == (100, 75)
        assert_upright(display)


@settings(max_examples=200, deadline=None)
@given(w=st.integers(1, 20_000), h=st.integers(1, 20_000), display_max=st.integers(64, 4096))
def test_target_size_is_within_bounds(w, h, display_max):
    factor = decoding.reduction((w, h), display_max)
    target = decoding.fit((-(-w // factor), -(-h // factor)), display_max)
    assert max(target) <= display_max
    if max(w, h) >= display_max:
        assert max(target) >= decoding.DRAFT_SLACK * display_max - 1
    else:
        assert target == (w, h)


# --- formats --------------------------------------------------------------------------------------

def test_heic_is_ingested_upright(media):
    img = upright().transpose(TO_STORED[6])
    exif = make_exif(6, gps=(("N", (34.0, 52.0, 12.0)), ("E", (116.0, 51.0, 36.0))))
    data = encode(img, "HEIF", exif, quality=90)
    stored = ingest(data, media_root=media, watermark=WM)
    assert stored.format == "HEIF"
    assert stored.original.endswith(".heic")
    assert (media / stored.original).read_bytes() == data
    assert (stored.width, stored.height) == UPRIGHT
    assert stored.exif_lat == pytest.approx(34.87, abs=1e-6)
    assert stored.exif_lon == pytest.approx(116.86, abs=1e-6)
    with Image.open(media / stored.display) as display:
        assert display.size == UPRIGHT
        assert_upright(display)


@pytest.mark.parametrize("fmt, ext", [("PNG", "png"), ("WEBP", "webp"), ("JPEG", "jpg")])
def test_png_webp_jpeg_accepted(media, fmt, ext):
    stored = ingest(encode(upright(), fmt), media_root=media, watermark=WM)
    assert stored.format == fmt
    assert stored.original.endswith("." + ext)
    with Image.open(media / stored.display) as display:
        assert_upright(display)


def test_png_orientation_tag_is_applied(media):
    stored = ingest(make_photo(8, fmt="PNG"), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display:
        assert display.size == UPRIGHT
        assert_upright(display)


def test_transparent_png_goes_onto_white(media):
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    stored = ingest(encode(img, "PNG"), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display:
        assert display.mode == "RGB"
        assert min(display.getpixel((200, 20))) > 245


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16"])
def test_other_pixel_modes_become_rgb(media, mode):
    fmt = "JPEG" if mode in ("L", "CMYK") else "PNG"
    stored = ingest(encode(upright().convert(mode), fmt), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display:
        assert display.mode == "RGB"


def test_multi_picture_jpeg_counts_as_jpeg(media):
    buf = io.BytesIO()
    upright().save(buf, format="MPO", save_all=True, append_images=[upright((240, 160))])
    stored = ingest(buf.getvalue(), media_root=media, watermark=WM)
    assert stored.format == "JPEG"
    assert stored.original.endswith(".jpg")


# --- EXIF -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("refs, signs", [(("N", "E"), (1, 1)), (("S", "W"), (-1, -1)), (("N", "W"), (1, -1))])
def test_exif_gps_is_read_as_signed_degrees(media, refs, signs):
    gps = ((refs[0], (34.0, 52.0, 12.345)), (refs[1], (116.0, 51.0, 36.789)))
    stored = ingest(make_photo(1, gps=gps), media_root=media, watermark=WM)
    assert stored.exif_lat == pytest.approx(signs[0] * (34 + 52 / 60 + 12.345 / 3600), abs=1e-6)
    assert stored.exif_lon == pytest.approx(signs[1] * (116 + 51 / 60 + 36.789 / 3600), abs=1e-6)


def test_exif_time_with_offset(media):
    data = make_photo(1, taken="2026:11:23 15:04:05", offset="+09:00")
    stored = ingest(data, media_root=media, watermark=WM)
    assert stored.exif_time == datetime(2026, 11, 23, 15, 4, 5, tzinfo=timezone(timedelta(hours=9)))
    assert stored.exif_time.utcoffset() == timedelta(hours=9)


def test_exif_time_without_offset_is_beijing_time(media):
    stored = ingest(make_photo(1, taken="2026:11:23 15:04:05"), media_root=media, watermark=WM)
    assert stored.exif_time == datetime(2026, 11, 23, 7, 4, 5, tzinfo=timezone.utc)
    assert stored.exif_time.utcoffset() == timedelta(hours=8)


def test_exif_datetime_is_not_a_capture_time(media):
    """Issue 15: DateTime (306) is the save or edit time, never read as when the photo was taken."""
    stored = ingest(make_photo(1, datetime_only="2026:01:02 03:04:05"), media_root=media, watermark=WM)
    assert stored.exif_time is None


def test_no_exif_gives_none(media):
    stored = ingest(encode(upright()), media_root=media, watermark=WM)
    assert (stored.exif_time, stored.exif_lat, stored.exif_lon) == (None, None, None)


@pytest.mark.parametrize("fields", [
    {"taken": "0000:00:00 00:00:00"},
    {"taken": "yesterday", "offset": "+25:99"},
    {"gps": (("X", (34.0, 52.0, 12.0)), ("E", (116.0, 51.0, 36.0)))},
    {"gps": (("N", (134.0, 0.0, 0.0)), ("E", (116.0, 51.0, 36.0)))},
    {"gps": (("N", (0.0, 0.0, 0.0)), ("E", (0.0, 0.0, 0.0)))},
])
def test_malformed_exif_gives_none_not_an_error(media, fields):
    stored = ingest(make_photo(1, **fields), media_root=media, watermark=WM)
    assert stored.exif_time is None
    assert (stored.exif_lat, stored.exif_lon) == (None, None)


def test_garbage_exif_segment_is_ignored(media):
    data = encode(upright(), exif=None)
    app1 = b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + b"\xff" * 40
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]
    stored = ingest(data, media_root=media, watermark=WM)
    assert stored.exif_time is None
    with Image.open(media / stored.display) as display:
        assert_upright(display)


def test_display_and_thumb_carry_no_exif(media):
    gps = (("N", (34.0, 52.0, 12.0)), ("E", (116.0, 51.0, 36.0)))
    stored = ingest(make_photo(6, gps=gps, taken="2026:11:23 15:04:05"), media_root=media, watermark=WM)
    for rel in (stored.display, stored.thumb):
        with Image.open(media / rel) as img:
            assert "exif" not in img.info
            assert not img.getexif().get_ifd(0x8825)
        assert b"Exif\x00\x00" not in (media / rel).read_bytes()


# --- the watermark --------------------------------------------------------------------------------

def test_watermark_lines():
    assert WM.lines() == ["张庄村党群服务中心", "2026-11-23 15:04 (北京时间)",
                          "34.870000, 116.860000 ±12 m", "检查员 王芳"]


def test_watermark_lines_without_position_or_accuracy():
    no_fix = Watermark("李村", datetime(2026, 1, 1, 16, 30, tzinfo=timezone.utc), None, None, None, "张三")
    assert no_fix.lines() == ["李村", "2026-01-02 00:30 (北京时间)", "无定位", "检查员 张三"]
    no_accuracy = Watermark("李村", no_fix.server_time, -1.5, 2.25, None, "张三")
    assert no_accuracy.lines()[2] == "-1.500000, 2.250000"


def test_watermark_needs_aware_time():
    with pytest.raises(ValueError):
        Watermark("李村", datetime(2026, 1, 1), None, None, None, "张三")


def test_watermark_band_darkens_the_bottom(media):
    stored = ingest(encode(Image.new("RGB", (800, 600), "white")), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display:
        gray = display.convert("L")
        w, h = gray.size
        bottom = ImageStat.Stat(gray.crop((0, h - h // 20, w, h))).mean[0]
        top = ImageStat.Stat(gray.crop((0, 0, w, h // 20))).mean[0]
    assert bottom < 200
    assert top > 250


def test_watermark_text_is_drawn_in_white(media):
    stored = ingest(encode(Image.new("RGB", (800, 600), "black")), media_root=media, watermark=WM)
    with Image.open(media / stored.display) as display:
        band = display.convert("L").crop((0, 450, 800, 600))
        assert band.getextrema()[1] > 200


def test_watermark_font_is_cjk():
    assert "CJK" in photos.watermark_font(20).getname()[0]
    assert photos.watermark_font(20).getname()[0] == "Noto Sans CJK SC"


def test_missing_cjk_font_is_a_loud_error(monkeypatch):
    render._font_face.cache_clear()
    monkeypatch.setattr(render, "_font_candidates", lambda: [])
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            photos.watermark_font(20)
    finally:
        render._font_face.cache_clear()


# --- storage --------------------------------------------------------------------------------------

def test_layout_and_original_kept_byte_for_byte(media):
    data = make_photo(6, gps=(("N", (34.0, 52.0, 12.0)), ("E", (116.0, 51.0, 36.0))))
    stored = ingest(data, media_root=media, watermark=WM)
    sha, wm = stored.sha256, WM.digest()
    assert stored.size_bytes == len(data)
    assert stored.original == f"originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert stored.display == f"display/{sha[:2]}/{sha[2:4]}/{sha}-{wm}.jpg"
    assert stored.thumb == f"thumbs/{sha[:2]}/{sha[2:4]}/{sha}-{wm}.jpg"
    assert (media / stored.original).read_bytes() == data
    assert set(stored.created) == {stored.original, stored.display, stored.thumb}
    assert files(media) == sorted(stored.created)
    assert all((media / rel).stat().st_mode & 0o777 == 0o644 for rel in stored.created)


def test_same_bytes_are_stored_once(media):
    data = make_photo(1)
    first = ingest(data, media_root=media, watermark=WM)
    again = ingest(data, media_root=media, watermark=WM)
    assert again.created == ()
    assert (again.original, again.display, again.thumb) == (first.original, first.display, first.thumb)
    other = ingest(data, media_root=media, watermark=Watermark("王庄村党群服务中心", WM.server_time,
                                                                None, None, None, "王芳"))
    assert other.original == first.original
    assert other.display != first.display and other.thumb != first.thumb
    assert set(other.created) == {other.display, other.thumb}
    assert len([f for f in files(media) if f.startswith("originals/")]) == 1
    assert len(files(media)) == 5


def test_remove_deletes_and_ignores_missing(media):
    stored = ingest(make_photo(1), media_root=media, watermark=WM)
    photos.remove(media, stored.created)
    photos.remove(media, stored.created)
    assert files(media) == []


def test_failure_while_saving_display_leaves_nothing(media, monkeypatch):
    def broken(*args, **kwargs):
        assert files(media), "the original should already be written"
        raise OSError("disk full")

    monkeypatch.setattr(store, "encode_jpeg", broken)
    with pytest.raises(OSError, match="disk full"):
        ingest(make_photo(1), media_root=media, watermark=WM)
    assert files(media) == []


def test_failure_while_publishing_thumb_leaves_no_temp_file(media, monkeypatch):
    real_replace, calls = store.os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError("no space left")
        real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", replace)
    with pytest.raises(OSError, match="no space left"):
        ingest(make_photo(1), media_root=media, watermark=WM)
    assert len(calls) == 3
    assert files(media) == []


def test_failure_keeps_files_that_were_already_there(media, monkeypatch):
    data = make_photo(1)
    first = ingest(data, media_root=media, watermark=WM)
    monkeypatch.setattr(store, "burn", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        ingest(data, media_root=media, watermark=Watermark("别处", WM.server_time, None, None, None, "王芳"))
    assert files(media) == sorted(first.created)


# --- rejections -----------------------------------------------------------------------------------

def gif() -> bytes:
    """A perfectly good GIF: still not a format we take."""
    return encode(upright(), "GIF")


@pytest.mark.parametrize("make, kwargs, status, reason", [
    (lambda: b"", {}, 400, "文件是空的"),
    (lambda: b"hello, this is not a photo\n" * 10, {}, 415, "不是可识别的图片（支持 JPEG、PNG、WebP、HEIC）"),
    (gif, {}, 415, "不是可识别的图片"),
    (lambda: encode(upright(), "BMP"), {}, 415, "不是可识别的图片"),
    (lambda: encode(upright(), "TIFF"), {}, 415, "不是可识别的图片"),
    (lambda: make_photo(1)[: len(make_photo(1)) // 2], {}, 422, "图片文件已损坏或不完整"),
    (lambda: encode(upright(), "PNG")[:-200], {}, 422, "图片文件已损坏或不完整"),
    (lambda: b"\xff\xd8\xff\xe0" + b"\x00" * 100, {}, 422, "图片文件已损坏或不完整"),
    (lambda: make_photo(1) + b"\0" * (1024 * 1024), {"max_bytes": 1024 * 1024}, 413, "1 MB"),
    (lambda: make_photo(1), {"max_pixels": 100_000}, 413, "10 万像素"),
])
def test_rejections_leave_no_file(media, make, kwargs, status, reason):
    with pytest.raises(PhotoError) as caught:
        ingest(make(), media_root=media, watermark=WM, **kwargs)
    assert caught.value.status == status
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)
    assert files(media) == []


def test_default_size_limit_is_said_in_megabytes(media):
    with pytest.raises(PhotoError) as caught:
        ingest(b"\xff" * (25 * 1024 * 1024 + 1), media_root=media, watermark=WM)
    assert caught.value.status == 413
    assert "25 MB" in caught.value.reason


def test_corrupt_png_crc_is_422(media):
    data = bytearray(encode(upright(), "PNG"))
    data[60] ^= 0xFF  # inside IDAT: its CRC no longer matches
    with pytest.raises(PhotoError) as caught:
        ingest(bytes(data), media_root=media, watermark=WM)
    assert caught.value.status == 422
    assert files(media) == []


@pytest.mark.parametrize("width, height", [
    (8000, 8000),  # 64 MP: over our 50 MP limit, under Pillow's own
    (10000, 10000),  # 100 MP: Pillow warns (DecompressionBombWarning)
    (30000, 30000),  # 900 MP: Pillow refuses (DecompressionBombError)
])
def test_decompression_bomb_is_413_before_decoding(media, monkeypatch, width, height):
    def no_decoding(self):
        raise AssertionError("pixels must not be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(PhotoError) as caught:
        ingest(png_claiming(width, height), media_root=media, watermark=WM)
    assert caught.value.status == 413
    assert "像素" in caught.value.reason
    assert files(media) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(["JPEG", "PNG", "WEBP"]), cuts=st.lists(st.tuples(st.integers(0, 4000),
                                                                                  st.integers(0, 255)),
                                                                        min_size=1, max_size=6))
def test_damaged_bytes_are_refused_cleanly_or_accepted(tmp_path_factory, source, cuts):
    data = bytearray(encode(upright((96, 64)), source, make_exif(6, taken="2026:11:23 15:04:05")))
    for position, value in cuts:
        data[position % len(data)] = value
    media = tmp_path_factory.mktemp("media")
    try:
        ingest(bytes(data), media_root=media, watermark=WM)
    except PhotoError as exc:
        assert exc.status in (413, 415, 422)
        assert files(media) == []
    else:
        assert len(files(media)) == 3


def test_truncated_upload_is_refused_even_after_weasyprint_is_imported(tmp_path):
    import weasyprint  # noqa: F401  (sets PIL's LOAD_TRUNCATED_IMAGES = True process-wide)
    from PIL import ImageFile
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    data = make_photo(1)
    with pytest.raises(photos.PhotoError) as info:
        photos.ingest(data[: len(data) // 2], media_root=tmp_path, watermark=WM)
    assert info.value.status == 422
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
