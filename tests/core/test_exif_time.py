"""The capture time of a photo comes from DateTimeOriginal, then DateTimeDigitized, never DateTime (issue 15).

DateTime (tag 306) is when the file was last saved or edited: read as the capture time it gave false
"拍摄时间不符" flags. Every file here is made with Pillow, with the tags a phone or an editor writes.
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from inspector.core import evidence
from inspector.core.photos import Watermark, ingest

UPLOAD = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)  # 15:30 in Beijing
WM = Watermark(site="张庄村党群服务中心", server_time=UPLOAD, lat=None, lon=None, accuracy_m=None, inspector="王芳")
ORIGINAL, DIGITIZED, DATETIME = 36867, 36868, 306
OFFSET_ORIGINAL, OFFSET_DIGITIZED = 36881, 36882
BEIJING = timezone(timedelta(hours=8))


def photo(*, ifd0: dict | None = None, exif_ifd: dict | None = None) -> bytes:
    """A small JPEG with the given IFD0 and Exif-IFD tags."""
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    sub = exif.get_ifd(0x8769)
    for tag, value in (exif_ifd or {}).items():
        sub[tag] = value
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 190, 200)).save(buf, "JPEG", quality=80, exif=exif)
    return buf.getvalue()


def capture_time(tmp_path, data: bytes):
    return ingest(data, media_root=tmp_path, watermark=WM).exif_time


def time_flags(when):
    """The evidence flags raised for a photo with this EXIF time, uploaded at UPLOAD."""
    return [f.code for f in evidence.photo_flags(site=None, radius_m=300, device=None, exif_gps=None,
                                                  exif_time=when, server_time=UPLOAD, other_uses=0)
            if f.code == evidence.EXIF_TIME_FAR]


def test_date_time_original_is_the_capture_time_even_when_the_file_was_edited_later(tmp_path):
    data = photo(ifd0={DATETIME: "2026:12:24 09:00:00"},
                 exif_ifd={ORIGINAL: "2026:11:23 15:04:05", DIGITIZED: "2026:11:23 15:04:06"})
    assert capture_time(tmp_path, data) == datetime(2026, 11, 23, 15, 4, 5, tzinfo=BEIJING)
    assert time_flags(capture_time(tmp_path, data)) == []  # taken 26 min before the upload


def test_offset_time_original_is_applied(tmp_path):
    data = photo(exif_ifd={ORIGINAL: "2026:11:23 16:04:05", OFFSET_ORIGINAL: "+09:00"})
    when = capture_time(tmp_path, data)
    assert when == datetime(2026, 11, 23, 7, 4, 5, tzinfo=timezone.utc)
    assert when.utcoffset() == timedelta(hours=9)


def test_date_time_digitized_when_there_is_no_original(tmp_path):
    data = photo(ifd0={DATETIME: "2025:01:01 00:00:00"}, exif_ifd={DIGITIZED: "2026:11:23 15:10:00"})
    assert capture_time(tmp_path, data) == datetime(2026, 11, 23, 15, 10, tzinfo=BEIJING)


def test_offset_time_digitized_goes_with_date_time_digitized(tmp_path):
    data = photo(exif_ifd={DIGITIZED: "2026:11:23 02:10:00", OFFSET_DIGITIZED: "-05:00",
                           OFFSET_ORIGINAL: "+09:00"})
    when = capture_time(tmp_path, data)
    assert when == datetime(2026, 11, 23, 7, 10, tzinfo=timezone.utc) and when.utcoffset() == timedelta(hours=-5)


def test_no_offset_is_beijing_time(tmp_path):
    when = capture_time(tmp_path, photo(exif_ifd={ORIGINAL: "2026:11:23 15:04:05"}))
    assert when == datetime(2026, 11, 23, 7, 4, 5, tzinfo=timezone.utc) and when.utcoffset() == timedelta(hours=8)


def test_original_written_in_ifd0_is_read(tmp_path):
    """Some writers put DateTimeOriginal in IFD0 rather than the Exif IFD."""
    data = photo(ifd0={ORIGINAL: "2026:11:23 15:04:05", OFFSET_ORIGINAL: "+08:00"})
    assert capture_time(tmp_path, data) == datetime(2026, 11, 23, 15, 4, 5, tzinfo=BEIJING)


def test_only_date_time_gives_no_capture_time_and_no_time_flag(tmp_path):
    """An edited or re-saved file with only DateTime (306), saved a month after the upload."""
    data = photo(ifd0={DATETIME: "2026:12:24 09:00:00"}, exif_ifd={0x9010: "+08:00"})
    when = capture_time(tmp_path, data)
    assert when is None
    assert time_flags(when) == []
    assert time_flags(datetime(2026, 12, 24, 9, 0, tzinfo=BEIJING)) == [evidence.EXIF_TIME_FAR]  # what it used to be


@pytest.mark.parametrize("exif_ifd", [
    {ORIGINAL: "0000:00:00 00:00:00", DIGITIZED: "2026:11:23 15:10:00"},
    {ORIGINAL: "not a time", DIGITIZED: "2026:11:23 15:10:00"},
])
def test_unreadable_original_falls_to_digitized(tmp_path, exif_ifd):
    assert capture_time(tmp_path, photo(exif_ifd=exif_ifd)) == datetime(2026, 11, 23, 15, 10, tzinfo=BEIJING)


def test_a_capture_time_far_from_the_upload_is_flagged(tmp_path):
    when = capture_time(tmp_path, photo(exif_ifd={ORIGINAL: "2026:10:01 09:00:00"}))
    assert time_flags(when) == [evidence.EXIF_TIME_FAR]
