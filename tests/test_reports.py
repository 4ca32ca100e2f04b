"""Reports: real WeasyPrint PDFs with embedded Chinese fonts, QR to a verification page, immutable versions."""
import hashlib
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from inspector.core import pdf
from inspector.core.geo import Position
from inspector.models import Inspection, MicroProject, Notice, Report, User
from inspector.services import documents, evidence, inspections

from . import factories, samples
from .test_documents import SEED_NAME


def run(*args: str) -> str:
    """Run a poppler or zbar tool and return what it printed; a document's text never names a seed file."""
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if args[0] == "pdftotext":
        assert not SEED_NAME.search(out), SEED_NAME.search(out).group(0)
    return out


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
        own = documents.tier_text(item.text, "standard")  # a 达标村 acceptance prints the 达标村 wording only
        assert re.sub(r"\s+", "", own) in flat, own
    assert "实测35m²，要求≥40" in flat and "差5m²" in flat and "大厅隔断未拆除" in flat
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
    assert "整改通知书" in text and "实测35m²" in text and "差5" in text
    deadline = date.fromisoformat(report.inputs["dates"]["deadline"])  # dates as an official document writes them
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in text and "10个工作日" in text
    assert "复查" in text


def test_report_for_the_wrong_inspection_is_404_and_bad_input_422(client, db, accepted):
    ins, _site, _spec = accepted
    assert client.get(f"/inspections/{ins.id}/reports/red_landmark").status_code == 404
    assert client.get(f"/inspections/{ins.id}/reports/nope").status_code == 404
    bad = client.post(f"/inspections/{ins.id}/reports/rectification", data={"deadline_days": "abc"})
    assert bad.status_code == 422 and "格式不对" in bad.get_data(as_text=True)


@pytest.fixture
def programs(app, db, specs, login_as):
    """A red-landmark evaluation and a micro-project acceptance with answers and notice photos."""
    c = factories.county(db)
    site = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community", tier=None)
    who = factories.user(db, c["county"], username="lijun")
    red = inspections.start(session=db, site=site, spec=specs["red-landmark"], purpose="red_landmark", tier=None, by=who)
    for item in specs["red-landmark"].items():
        rule = item.rule_for(None, "community")
        if item.kind == "rate":
            value = {"respondents": 20, "satisfied": 20} if rule.percent >= 100 else {"respondents": 50, "satisfied": 46}
        elif item.kind in ("count", "measure"):
            value = rule.threshold + 1
        else:
            value = {"check": "pass", "document": "present",
                     "choice": item.options[0].value if item.options else None}.get(item.kind)
        inspections.record_answer(session=db, inspection=red, item_id=item.id, raw=value, note=None, by=who)
    micro = inspections.start(session=db, site=site, spec=specs["micro-project"], purpose="micro_project", tier=None,
                              by=who)
    for item_id, value in (("mp-accept-participants", "12"), ("mp-accept-spent", "8600"),
                           ("mp-accept-details", "修缮社区道路 120 米，安装路灯 6 盏"), ("mp-plaque-size", ["35", "24"])):
        inspections.record_answer(session=db, inspection=micro, item_id=item_id, raw=value, note=None, by=who)
    shots = []
    for n in range(2):
        shots.append(evidence.attach_photo(session=db, inspection=micro, item_id="mp-notice-photos",
                                           data=samples.jpeg(color=(90 + 80 * n, 120, 160)),
                                           device=Position(34.64, 116.98, 6.0), by=who,
                                           media_root=Path(app.config["MEDIA_DIR"]), accuracy_limit_m=100))
    # the project the acceptance belongs to: its record is where the documents take every field from
    site.micro_program = "hehua-street-2023"
    project = MicroProject(
        site_id=site.id, year=2026, size="small", name="吴庄社区道路修缮", lead_name="张三", lead_phone="13800000000",
        description="修缮社区道路", scale="120 米", expected_effect="出行方便", budget_fen=860000,
        fund_source="街道微实事专项资金", start_date=date(2026, 11, 1), finish_date=date(2026, 12, 15), members=[
            {"name": "张三", "phone": "13800000000", "kind": "party_member"}], households=[], spending=[],
        route="street", program="hehua-street-2023", status="accepting", acceptance_id=micro.id, created_by_id=who.id,
        details={"completion": {"spent_fen": 845050, "details": "修缮社区道路 120 米，安装路灯 6 盏",
                                "village_lead": "王书记", "village_phone": "13905160009"},
                 "photos": [{"kind": kind, "caption": caption, "display": p[0].display, "thumb": p[0].thumb}
                            for (kind, caption), p in zip((("before", "实施前"), ("after", "完成后")), shots)]})
    db.add(project)
    db.flush()
    notice = Notice(public_id="mpnotice1", kind="micro_completion", site_id=site.id, subject_id=project.id,
                    title="吴庄社区道路修缮 项目完成情况公示", content={"contact": "监督电话：0516-89001234",
                                                             "issuer": "中共吴庄社区委员会"},
                    start_date=date(2026, 12, 21), end_date=date(2026, 12, 25), working_days=5, created_by_id=who.id)
    db.add(notice)
    db.flush()
    project.notice_id = notice.id
    db.add(project)
    db.commit()
    login_as(who)
    return red, micro


def preview_pdf(client, tmp_path, url: str) -> tuple[str, str]:
    """A preview PDF's text (reading order, spaces removed) and its pdfinfo."""
    r = client.get(url)
    assert r.status_code == 200 and r.data.startswith(b"%PDF"), r.get_data(as_text=True)[:500]
    path = pdf_file(tmp_path, r.data, "preview.pdf")
    return re.sub(r"\s+", "", run("pdftotext", str(path), "-")), run("pdfinfo", str(path))


def test_red_landmark_report_shows_gates_rates_and_procedure_dates(client, programs, tmp_path):
    red, _micro = programs
    text, info = preview_pdf(client, tmp_path, f"/inspections/{red.id}/reports/red_landmark?format=pdf"
                                               "&received=2026-11-02&notice_start=2026-09-29")
    assert "红色地标评定报告" in text and "吴庄社区党群服务中心" in text and "4.2" in text
    assert "满意46/调查50=92.0%" in text or "46/50=92.0%" in text
    assert "2026年12月2日" in text  # received 11-02 + 30 days (7.x)
    assert "2026年10月13日" in text  # 7 working days from 09-29: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up), 10-12, 10-13
    assert "预览稿" in text


def test_micro_notice_is_one_page_with_photos_and_a_five_working_day_period(client, programs, tmp_path):
    _red, micro = programs
    # typed values are ignored: every field comes from the project record, the dates from the posted notice
    text, info = preview_pdf(client, tmp_path, f"/inspections/{micro.id}/reports/micro_notice?format=pdf"
                                               "&project_name=别的名字&notice_start=2026-12-01")
    assert "Pages:           1" in info
    assert "吴庄社区道路修缮" in text and "别的名字" not in text and "修缮社区道路120米，安装路灯6盏" in text
    assert "张三" in text and "13800000000" in text and "王书记" in text and "街道微实事专项资金" in text
    assert "845,050" not in text and "8,450.50元" in text
    assert "2026年12月21日至2026年12月25日" in text and "5个工作日" in text and "2026年12月1日" not in text
    assert "项目实施之前" in text and "项目完成之后" in text and ".txt" not in text  # sources by title (issue 16)
    assert "《荷花街道党员微服务、群众大满意活动实施方案》二、活动步骤4" in text
    assert "监督电话：0516-89001234" in text and "2026年12月21日" in text


def test_micro_notice_in_a_year_without_its_schedule_is_marked_provisional_or_refused_when_strict(
        app, client, db, programs):
    # the notice's dates come from the project's own notice (issue 13); one running into 2027 is 暂定
    _red, micro = programs
    notice = db.exec(select(Notice).where(Notice.kind == "micro_completion")).one()
    notice.start_date, notice.end_date, notice.provisional = date(2027, 3, 1), date(2027, 3, 5), True
    db.add(notice)
    db.commit()
    text = client.get(f"/inspections/{micro.id}/reports/micro_notice").get_data(as_text=True)
    assert "2027年3月1日至2027年3月5日（暂定）" in text
    assert "2027-03-05 为暂定日期：2027 年的国务院节假日安排尚未录入" in text
    app.config["WORKDAYS_STRICT"] = True
    r = client.get(f"/inspections/{micro.id}/reports/micro_notice?format=pdf")
    assert r.status_code == 422 and "2027 年的节假日安排尚未录入" in r.get_data(as_text=True)


def test_micro_acceptance_form_and_plaque_proof(client, programs, tmp_path):
    _red, micro = programs
    text, _info = preview_pdf(client, tmp_path, f"/inspections/{micro.id}/reports/micro_acceptance?format=pdf"
                                                "&project_name=别的名字&lead=李四&phone=13900000000")
    assert "项目验收表" in text and "张三" in text and "13800000000" in text and "12" in text
    assert "李四" not in text and "吴庄社区道路修缮" in text
    text, info = preview_pdf(client, tmp_path, f"/inspections/{micro.id}/reports/plaque?format=pdf"
                                               "&issuer=中共别的街道工作委员会&year=2030")
    assert "Pages:           1" in info and "(A3)" in info and "1190.55 x 841.89" in info  # A3 landscape
    assert "党员为群众办实事项目" in text and "浏阳市荷花街道党工委" in text and "35×24" in text
    assert "别的街道" not in text and "2026年" in text and "2030" not in text and "吴庄社区道路修缮" in text


def test_reports_page_lists_what_this_inspection_can_produce_and_what_was_issued(client, db, accepted):
    ins, _site, _spec = accepted
    page = client.get(f"/inspections/{ins.id}/reports").get_data(as_text=True)
    assert "竣工验收报告" in page and "整改通知书" in page and "红色地标评定报告" not in page
    client.post(f"/inspections/{ins.id}/reports/acceptance")
    report = db.exec(select(Report)).one()
    page = client.get(f"/inspections/{ins.id}/reports").get_data(as_text=True)
    assert report.number in page and "有效" in page


def test_report_defaults_and_dates_follow_the_apps_today(app):
    """A report's default dates (公示开始日期, 年份) are the app's TODAY, not the machine's date."""
    from inspector.services import reports
    app.config["TODAY"] = date(2024, 3, 5)
    with app.app_context():
        notice = next(f for f in reports.KINDS["micro_notice"].fields if f.name == "notice_start")
        year = next(f for f in reports.KINDS["plaque"].fields if f.name == "year")
        assert notice.default(None, None) == "2024-03-05" and year.default(None, None) == 2024
