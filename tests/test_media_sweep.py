"""Issue 14 point 7: `flask media sweep` — temporary files, orphans, and a real gunicorn worker killed
with SIGKILL in the middle of storing an upload."""
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from inspector.core import photos
from inspector.models import Photo
from inspector.services import inspections, media_sweep

from . import factories, samples

HOUR = 3600


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _old(path: Path, seconds: float = 2 * HOUR) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_old_temporary_files_go_young_ones_stay(tmp_path):
    media = tmp_path / "media"
    (media / "originals" / "ab" / "cd").mkdir(parents=True)
    old = media / "originals" / "ab" / "cd" / ".x.jpg.k2j3.tmp"
    young = media / "originals" / "ab" / "cd" / ".y.jpg.q9w8.tmp"
    copy = media / "print" / ".tmp-abc.jpg"
    copy.parent.mkdir()
    for p in (old, young, copy):
        p.write_bytes(b"partial")
    _old(old)
    _old(copy)
    assert sorted(media_sweep.sweep_temporary(media)) == ["originals/ab/cd/.x.jpg.k2j3.tmp", "print/.tmp-abc.jpg"]
    assert _files(media) == ["originals/ab/cd/.y.jpg.q9w8.tmp"]


def test_the_app_sweeps_temporary_files_at_start(db_url, tmp_path):
    from inspector import create_app
    media = tmp_path / "media"
    media.mkdir()
    left = media / ".z.jpg.abc.tmp"
    left.write_bytes(b"x")
    _old(left)
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "t", "MEDIA_DIR": str(media)})
    assert not left.exists()
    app.extensions["engine"].dispose()


def test_sweep_reports_orphans_and_deletes_them_only_when_asked(app, db, runner, specs):
    c = factories.county(db)
    site = factories.site(db, c["village_a"])
    who = factories.user(db, c["county"])
    ins = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="inspection",
                            tier="standard", by=who)
    db.commit()
    media = Path(app.config["MEDIA_DIR"])
    from inspector.services import evidence
    from inspector.core.geo import Position
    photo, _ = evidence.attach_photo(session=db, inspection=ins, item_id="premises-exists", data=samples.jpeg(),
                                     device=Position(34.87, 116.86, 8), by=who, media_root=media,
                                     accuracy_limit_m=100)
    db.commit()
    mark = photos.Watermark(site="s", server_time=photo.at, lat=None, lon=None, accuracy_m=None, inspector="i")
    orphan = photos.ingest(samples.jpeg(color=(10, 200, 30)), media_root=media, watermark=mark)  # no row
    for p in media.rglob("*"):
        if p.is_file():
            _old(p)
    kept = {photo.original, photo.display, photo.thumb}
    report = runner.invoke(args=["media", "sweep"])
    assert report.exit_code == 0 and f"无记录引用：{orphan.original}" in report.output
    assert "发现（加 --delete 删除）无记录引用的文件 3 个" in report.output
    assert set(_files(media)) == kept | {orphan.original, orphan.display, orphan.thumb}  # reported, not removed
    done = runner.invoke(args=["media", "sweep", "--delete"])
    assert done.exit_code == 0 and "已删除无记录引用的文件 3 个" in done.output
    assert set(_files(media)) == kept


# ---------------------------------------------------------------- a real worker killed mid-upload

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_a_worker_killed_mid_upload_leaves_nothing_after_the_sweep(app, db, db_url, runner, specs, tmp_path):
    c = factories.county(db)
    site = factories.site(db, c["village_a"], lat=34.87, lon=116.86)
    who = factories.user(db, c["county"], username="wangfang")
    ins = inspections.start(session=db, site=site, spec=specs["build-standard"], purpose="inspection",
                            tier="standard", by=who)
    db.commit()
    media = tmp_path / "gunicorn-media"
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY="kill-test", MEDIA_DIR=str(media))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    master = subprocess.Popen([str(gunicorn), "--workers", "1", "--threads", "2", "--worker-class", "gthread",
                               "--bind", f"127.0.0.1:{port}", "--timeout", "120", "inspector.wsgi:app"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=Path(__file__).resolve().parent.parent)
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        for _ in range(300):
            try:
                if opener.open(base + "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        page = opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        login = urllib.request.Request(base + "/login", data=urllib.parse.urlencode(
            {"username": "wangfang", "password": "correct-horse-1", "csrf_token": token}).encode())
        opener.open(login)
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          opener.open(base + "/account/password").read().decode()).group(1)
        noise = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
        buf = io.BytesIO()
        noise.save(buf, "JPEG", quality=95)  # ~14 MB that take the pipeline about a second to store
        body, ctype = samples.multipart({"csrf_token": token, "lat": "34.87", "lon": "116.86", "accuracy": "8"},
                                 "photos", "big.jpg", buf.getvalue())
        upload = urllib.request.Request(base + f"/inspections/{ins.id}/items/premises-exists/photos", data=body,
                                        headers={"Content-Type": ctype, "X-CSRFToken": token})
        workers = _children(master.pid)
        assert len(workers) == 1
        sender = threading.Thread(target=lambda: _quietly(opener.open, upload, timeout=60), daemon=True)
        sender.start()
        deadline = time.time() + 60
        while time.time() < deadline and not _files(media):
            time.sleep(0.001)
        os.kill(workers[0], signal.SIGKILL)  # the worker dies while it writes the files
        sender.join(10)
        left = _files(media)
        assert left, "the worker was killed before it wrote anything: nothing to sweep"
    finally:
        master.terminate()
        master.wait(30)
    db.expire_all()
    assert db.exec(select(Photo)).all() == []  # the row was never committed
    app.config["MEDIA_DIR"] = str(media)
    result = runner.invoke(args=["media", "sweep", "--delete", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert _files(media) == [], (left, result.output)
    assert media_sweep.sweep(session=db, media_root=media, min_age_s=0).orphans == []


def _quietly(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except Exception:  # noqa: BLE001 - the connection dies with the worker
        pass
