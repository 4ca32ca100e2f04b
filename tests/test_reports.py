"""Reports: real WeasyPrint PDFs with embedded Chinese fonts, QR to a verification page, immutable versions."""
import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.core import pdf
from inspector.core.geo import Position
from inspector.models import Inspection, Report, User
from inspector.services import evidence, inspections

from . import factories, samples


def run(*args: str) -> str:
    """Run a poppler or zbar tool and return what it printed."""
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def accepted(app, db, specs, login_as):
    """A submitted completion-acceptance inspection with every item answered and three photos."""
    c = factories.county(db)
    site = factories.site(db, c["village_a"], name="张庄村党群服务中心", tier="standard")
    who = factories.user(db, c["county"], username="wangfang")
    spec = specs["build-standard"]
    ins = inspections.start(session=db, site=site, spec=spec, purpose="completion_acceptance", tier="standard", by=who)
    for item in spec.items():
        if not item.applies("standard", "village"):
            continue
        rule = item.rule_for("standard", "village")
        value = {"check": "pass", "document": "present", "choice": item.options[0].value if item.options else None,
                 "count": int(rule.threshold) + 10 if rule else 1,
                 "measure": rule.threshold + 20 if rule else 1}.get(item.kind)
        inspections.record_answer(session=db, inspection=ins, item_id=item.id, raw=value, note=None, by=who)
    inspections.record_answer(session=db, inspection=ins, item_id="hall-area", raw="35", note="大厅隔断未拆除", by=who)
    media = Path(app.config["MEDIA_DIR"])
    for n in range(3):
        evidence.attach_photo(session=db, inspection=ins, item_id="premises-exists",
                              data=samples.jpeg(color=(100 + 40 * n, 150, 200), lat=34.87, lon=116.86),
                              device=Position(34.87, 116.86, 8.0), by=who, media_root=media, accuracy_limit_m=100)
    inspections.submit(session=db, inspection=ins, by=who)
    db.commit()
    login_as(who)
    return ins, site, spec


def pdf_file(tmp_path, data: bytes, name="r.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pdfs_are_built_with_harfbuzz_subsetting_and_cjk_fonts():
    assert pdf.fast_subsetting(), "install Debian's libharfbuzz-subset0: fontTools subsetting costs ~2.5 s per face"
    assert pdf.cjk_fonts_installed(), "install Debian's fonts-noto-cjk: Chinese would print as empty boxes"


def test_acceptance_report_is_a_real_pdf_with_chinese_text_fonts_photos_and_a_qr(app, client, db, accepted, tmp_path):
    ins, site, spec = accepted
    r = client.post(f"/inspections/{ins.id}/reports/acceptance")
    assert r.status_code == 303
    report = db.exec(select(Report)).one()
    data = (Path(app.config["MEDIA_DIR"]) / report.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == report.sha256 and report.path.startswith("reports/")
    path = pdf_file(tmp_path, data)

    fonts = run("pdffonts", str(path))
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, with ToUnicode

    text = run("pdftotext", str(path), "-")  # reading order: a table cell's lines stay together
    flat = re.sub(r"\s+", "", text)
    assert "竣工验收报告" in text and "张庄村党群服务中心" in text
    shown = [i for i in spec.items() if i.applies("standard", "village")]
    for item in shown[:6] + [spec.by_id["hall-area"], spec.by_id["no-unapproved-design-change"]]:
        assert re.sub(r"\s+", "", item.text) in flat, item.text
    assert "实测35m²，要求≥40m²，差5m²" in flat and "大厅隔断未拆除" in flat
    assert "施工方负责人" in text and "一律不予验收" in flat
    assert f"第1页共{report.pages}页" in flat and "□" not in text

    info = run("pdfinfo", str(path))
    assert f"Pages:           {report.pages}" in info and report.pages >= 4
    images = [line for line in run("pdfimages", "-list", str(path)).splitlines()[2:] if line.strip()]
    assert len(images) == 3  # the three photos, downscaled; the QR code is vector

    pdftoppm = subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                              check=True)
    assert pdftoppm.returncode == 0
    decoded = run("zbarimg", "--quiet", "--raw", str(tmp_path / "p-1.png")).strip()
    assert decoded.endswith(f"/verify/{report.public_id}")
    verify = client.get(decoded.replace("http://localhost", ""))
    page = verify.get_data(as_text=True)
    assert verify.status_code == 200 and f"data-sha256>{hashlib.sha256(data).hexdigest()}<" in page
    assert "有效" in page and report.number in page


def test_photos_are_downscaled_for_print(app, client, db, accepted, tmp_path):
    ins, _site, _spec = accepted
    client.post(f"/inspections/{ins.id}/reports/acceptance")
    report = db.exec(select(Report)).one()
    path = pdf_file(tmp_path, (Path(app.config["MEDIA_DIR"]) / report.path).read_bytes())
    for line in run("pdfimages", "-list", str(path)).splitlines()[2:]:
        cols = line.split()
        assert cols[2] == "image" and max(int(cols[3]), int(cols[4])) <= 640 and cols[8] == "jpeg"


def test_draft_can_be_previewed_but_not_issued(client, db, accepted):
    ins, _site, _spec = accepted
    ins.status = "draft"
    db.commit()
    preview = client.get(f"/inspections/{ins.id}/reports/acceptance?format=pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    refused = client.post(f"/inspections/{ins.id}/reports/acceptance")
    assert refused.status_code == 422 and "只能预览" in refused.get_data(as_text=True)
    assert db.exec(select(Report)).all() == []


def test_issuing_twice_returns_the_same_report_and_a_change_supersedes_it(app, client, db, accepted):
    ins, _site, _spec = accepted
    first = client.post(f"/inspections/{ins.id}/reports/acceptance").headers["Location"]
    assert client.post(f"/inspections/{ins.id}/reports/acceptance").headers["Location"] == first
    assert len(db.exec(select(Report)).all()) == 1

    ins = db.get(Inspection, ins.id)
    ins.status = "returned"
    who = db.get(User, ins.created_by_id)
    inspections.record_answer(session=db, inspection=ins, item_id="hall-area", raw="45", note="已整改", by=who)
    inspections.submit(session=db, inspection=ins, by=who)
    db.commit()
    second = client.post(f"/inspections/{ins.id}/reports/acceptance").headers["Location"]
    assert second != first
    old, new = db.exec(select(Report).order_by(Report.version)).all()
    assert (old.status, new.status, new.version, new.supersedes_id) == ("superseded", "issued", 2, old.id)
    assert old.sha256 != new.sha256 and (Path(app.config["MEDIA_DIR"]) / old.path).exists()  # the old file stays
    old_page = client.get(first).get_data(as_text=True)
    assert "已被新版本取代" in old_page and new.number in old_page


def test_verification_page_checks_a_file_and_is_public(app, client, db, accepted):
    import io
    ins, _site, _spec = accepted
    location = client.post(f"/inspections/{ins.id}/reports/acceptance").headers["Location"]
    report = db.exec(select(Report)).one()
    data = (Path(app.config["MEDIA_DIR"]) / report.path).read_bytes()
    client.post("/logout")

    def check(payload: bytes) -> str:
        # a hand-made multipart body in memory: the test client would spool a large one to an unclosed temp file
        body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.pdf\"\r\n"
                b"Content-Type: application/pdf\r\n\r\n" + payload + b"\r\n--B--\r\n")
        return client.post(location, input_stream=io.BytesIO(body), content_length=len(body),
                           content_type="multipart/form-data; boundary=B").get_data(as_text=True)

    assert 'data-checked="true"' in check(data)
    assert 'data-checked="false"' in check(data + b"\n")
    assert client.get("/verify/not-a-real-id").status_code == 404
    assert client.get(f"/reports/{report.public_id}.pdf").status_code == 302  # the file itself needs a login


def test_rectification_notice_lists_failures_with_shortfall_and_a_working_day_deadline(app, client, db, accepted,
                                                                                      tmp_path):
    ins, _site, _spec = accepted
    r = client.post(f"/inspections/{ins.id}/reports/rectification", data={"deadline_days": "10"})
    assert r.status_code == 303
    report = db.exec(select(Report)).one()
    text = re.sub(r"\s+", "", run("pdftotext", str(pdf_file(tmp_path, (Path(app.config["MEDIA_DIR"]) / report.path)
                                                               .read_bytes())), "-"))
    assert "整改通知书" in text and "实测35m²，要求≥40m²，差5m²" in text
    assert report.inputs["dates"]["deadline"] in text and "10个工作日" in text
    assert "复查" in text


def test_report_for_the_wrong_inspection_is_404_and_bad_input_422(client, db, accepted):
    ins, _site, _spec = accepted
    assert client.get(f"/inspections/{ins.id}/reports/red_landmark").status_code == 404
    assert client.get(f"/inspections/{ins.id}/reports/nope").status_code == 404
    bad = client.post(f"/inspections/{ins.id}/reports/rectification", data={"deadline_days": "abc"})
    assert bad.status_code == 422 and "格式不对" in bad.get_data(as_text=True)
