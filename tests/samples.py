"""Sample photos made with Pillow: EXIF orientation, GPS and time, as a phone writes them."""
from __future__ import annotations

import io

from PIL import Image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)


def jpeg(width: int = 640, height: int = 480, *, orientation: int = 1, lat: float | None = None,
         lon: float | None = None, taken: str | None = "2026:11:23 10:15:00", color=(180, 190, 200)) -> bytes:
    """A JPEG with a red block top-left, and the EXIF a phone writes (orientation, GPS, time)."""
    img = Image.new("RGB", (width, height), color)
    img.paste((220, 20, 30), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[274] = orientation
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()


def multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with text fields and one JPEG file, and its Content-Type."""
    boundary = "----inspector-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
