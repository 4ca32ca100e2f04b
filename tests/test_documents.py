"""Documents a county office signs as they are (issue 16): the standard forms' parts, titles instead of
seed file names, numbers per type and year, photos uncropped, the seed's own forms from the record."""
import re
import subprocess
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from inspector.core.geo import Position
from inspector.models import MicroProject, Notice, RectificationTask, Region, Report, User
from inspector.services import documents, evidence, inspections, reports

from . import factories, samples

SEED_NAME = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_of(tmp_path: Path, data: bytes, name: str) -> tuple[Path, str]:
    """The PDF on disk and its text with every space removed."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return path, re.sub(r"\s+", "", run("pdftotext", str(path), "-"))


def images(path: Path) -> list[tuple[int, int]]:
    """(width, height) of every image embedded in a PDF."""
    return [(int(c[3]), int(c[4])) for c in (line.split() for line in run("pdfimages", "-list", str(path))
                                             .splitlines()[2:]) if len(c) > 4]


def issued(app, db, client, tmp_path, url: str, data=None) -> tuple[Report, Path, str]:
    r = client.post(url, data=data or {})
    assert r.status_code == 303, r.get_data(as_text=True)[:400]
    report = db.exec(select(Report).order_by(Report.id.desc())).first()
    path, text = pdf_of(tmp_path, (Path(app.config["MEDIA_DIR"]) / report.path).read_bytes(), report.number)
    return report, path, text


@pytest.fixture
def acceptance(app, db, specs, login_as):
    """A 达标村 completion acceptance: hall area short (a portrait photo on it), 3 landscape photos on
    items that pass, and the rectification task stored with its due date."""
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
    shots = [("premises-exists", 640, 480), ("premises-exists", 640, 480), ("premises-exists", 640, 480),
             ("hall-area", 360, 640)]  # the last one portrait, on the failed item
    for n, (item_id, w, h) in enumerate(shots):
        evidence.attach_photo(session=db, inspection=ins, item_id=item_id,
                              data=samples.jpeg(w, h, color=(100 + 30 * n, 150, 200), lat=34.87, lon=116.86),
                              device=Position(34.87, 116.86, 8.0), by=who, media_root=media, accuracy_limit_m=100)
    inspections.submit(session=db, inspection=ins, by=who)
    db.add(RectificationTask(inspection_id=ins.id, item_id="hall-area", due_date=date(2027, 1, 15),
                             due_from=date(2026, 12, 17), due_working_days=20, due_rule="after"))
    db.commit()
    login_as(who)
    return ins, site, spec


def test_acceptance_report_follows_the_standard_form(app, client, db, acceptance, tmp_path):
    ins, _site, spec = acceptance
    report, path, text = issued(app, db, client, tmp_path, f"/inspections/{ins.id}/reports/acceptance")
    assert not SEED_NAME.search(text) and ".txt" not in text
    assert "沛县乡村振兴攻坚指挥部" in text  # the issuing authority (002 篇六 三: 县乡村振兴攻坚指挥部…竣工验收)
    assert "验收意见" in text and "综合验收工作组组长签字" in text and "（盖章）" in text and "盖章" in text
    assert "县级设定" not in text and "源文件未规定" not in text  # no internal notes
    # the 达标村 wording only, in full
    assert "村党员群众服务中心建筑面积不少于400平米" in text and "达600平米以上" not in text
    assert "示范村：" not in text, text[max(0, text.find("示范村：") - 80):text.find("示范村：") + 80]
    for item in spec.items():  # every requirement in full (nothing cut with "…")
        if item.applies("standard", "village"):
            own = re.sub(r"\s+", "", documents.tier_text(item.text, "standard"))
            assert own[:6] in text and own[-4:] in text, item.id  # a row may break over a page
    assert "实测35m²，要求≥40" in text and "不符合" in text
    assert re.fullmatch(r"YS-\d{4}-0001", report.number) and report.number in text
    assert "附：本文件所依据的标准" in text and "《振兴重点村党群服务中心建设项目实施方案》" in text
    assert re.search(r"签发于\d{4}年\d{1,2}月\d{1,2}日\d\d:\d\d（北京时间）", text)
    assert "不予拨付" in text and report.inputs["decision"]["headline"] in text  # the stored decision, as before
    sizes = images(path)
    assert len(sizes) == 4 and sum(1 for w, h in sizes if w < h) == 1  # the portrait photo stays portrait


def test_numbers_run_per_type_and_year_and_a_new_version_keeps_its_number(app, client, db, acceptance, tmp_path):
    ins, _site, _spec = acceptance
    first, _p, _t = issued(app, db, client, tmp_path, f"/inspections/{ins.id}/reports/acceptance")
    notice, _p, _t = issued(app, db, client, tmp_path, f"/inspections/{ins.id}/reports/rectification",
                            {"deadline_days": "20"})
    year = first.number.split("-")[1]
    assert (first.number, notice.number) == (f"YS-{year}-0001", f"ZG-{year}-0001")  # each type its own count
    ins.status = "returned"
    who = db.get(User, ins.created_by_id)
    inspections.record_answer(session=db, inspection=ins, item_id="hall-area", raw="45", note="已整改", by=who)
    inspections.submit(session=db, inspection=ins, by=who)
    db.commit()
    second, _p, text = issued(app, db, client, tmp_path, f"/inspections/{ins.id}/reports/acceptance")
    assert second.number == f"YS-{year}-0001-2" and second.version == 2 and second.number in text
    old = client.get(f"/verify/{first.public_id}").get_data(as_text=True)  # the old one keeps its number
    assert first.number in old and "已被新版本取代" in old and second.number in old
    assert "（北京时间）" in old and " UTC" not in old


def test_rectification_notice_has_its_issuer_due_dates_receipt_and_only_the_failed_photos(
        app, client, db, acceptance, tmp_path):
    ins, _site, _spec = acceptance
    report, path, text = issued(app, db, client, tmp_path, f"/inspections/{ins.id}/reports/rectification",
                                {"deadline_days": "10"})
    assert not SEED_NAME.search(text)
    assert "沛县乡村振兴攻坚指挥部" in text and "（盖章）" in text and "检查人：" in text
    assert "签收人：" in text and "签收日期：" in text  # the village's receipt line
    assert "2027年1月15日" in text  # the task's stored due date, not preview day + N
    assert "附：不符合事项现场照片（1张）" in text
    sizes = images(path)
    assert sizes == [(360, 640)]  # only the failed item's photo, portrait
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path))).group(1))
    last = run("pdftotext", "-f", str(pages), "-l", str(pages), str(path), "-")
    assert len(re.sub(r"\s+", "", last)) > 60  # the last page is not a near-blank page with only "检查人"


def test_report_numbers_are_unique_when_issued_at_once(app, db):
    """Eight issuers at once get eight numbers in a row (on PostgreSQL the sequence row's lock)."""
    if app.extensions["engine"].dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers by itself")
    got, errors = [], []

    def one():
        try:
            with Session(app.extensions["engine"]) as s:
                got.append(documents.next_number(session=s, code="ZZ", year=2031))
                s.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(got) == [f"ZZ-2031-{n:04d}" for n in range(1, 9)]


@pytest.fixture
def project(app, db, specs, login_as):
    """A 荷花街道 micro project with its members, six households and a posted completion notice."""
    c = factories.county(db)
    site = factories.site(db, c["village_b"], name="吴庄社区党群服务中心", site_type="community", tier=None)
    site.micro_program = "hehua-street-2023"
    who = factories.user(db, c["county"], username="lijun")
    p = MicroProject(
        site_id=site.id, year=2026, size="small", name="吴庄社区道路修缮", lead_name="张三", lead_phone="13800000000",
        description="修缮社区道路，方便群众出行", scale="120 米", expected_effect="出行方便", budget_fen=860000,
        fund_source="街道微实事专项资金", start_date=date(2026, 11, 1), finish_date=date(2026, 12, 15),
        members=[{"name": "张三", "phone": "13800000000", "kind": "party_member"},
                 {"name": "李四", "phone": "13800000001", "kind": "representative"}],
        households=[{"name": f"群众{n}", "phone": f"1390000000{n}", "signed": True} for n in range(6)],
        spending=[], route="street", program="hehua-street-2023", status="noticed", created_by_id=who.id,
        details={"completion": {"spent_fen": 845050, "details": "修缮社区道路 120 米，安装路灯 6 盏",
                                "village_lead": "王书记", "village_phone": "13905160009"}, "photos": []})
    db.add(p)
    db.flush()
    notice = Notice(public_id="mpnotice2", kind="micro_completion", site_id=site.id, subject_id=p.id,
                    title="吴庄社区道路修缮 项目完成情况公示", content={"contact": "监督电话：0516-89001234"},
                    start_date=date(2026, 12, 21), end_date=date(2026, 12, 25), working_days=5, created_by_id=who.id)
    db.add(notice)
    db.flush()
    p.notice_id = notice.id
    db.add(p)
    db.commit()
    login_as(who)
    return p


def form_pdf(client, tmp_path, project, form_id) -> tuple[Path, str]:
    r = client.get(f"/micro/{project.id}/forms/{form_id}")
    assert r.status_code == 200 and r.data.startswith(b"%PDF"), r.get_data(as_text=True)[:400]
    return pdf_of(tmp_path, r.data, form_id)


def test_seed_forms_are_filled_from_the_project_record_in_their_own_layout(client, project, tmp_path):
    page = client.get(f"/micro/{project.id}").get_data(as_text=True)
    for form_id in ("application", "notice", "acceptance", "plaque"):
        assert f"/micro/{project.id}/forms/{form_id}" in page, form_id

    path, text = form_pdf(client, tmp_path, project, "application")  # 附件1
    for words in ("荷花街道“党员微服务，群众大满意”活动项目申报表", "申报村（社区）名称：吴庄社区", "吴庄社区道路修缮", "张三",
                  "13800000000", "规模数量：120米", "预期效果：出行方便", "经费预算：8,600.00元",
                  "经费来源：街道微实事专项资金", "实施时间：2026年11月1日", "完成时间：2026年12月15日",
                  "牵头党员（村居民代表）签字：", "村（社区）党组织书记签字：", "街道组织委员签字：", "（盖章）",
                  "服务项目关联群众户签名（不少于5户群众）", "群众户签名", "联系电话",
                  "统计：共1名党员，1个村居民代表，6户群众。此表可加页。"):
        assert words in text, words
    rows = ["项目名称", "牵头党员", "项目简介", "党组织意见", "党工委意见", "服务项目关联群众户签名"]  # the form's order
    at = [text.find(w) for w in rows]
    assert at == sorted(at), at
    grid = run("pdftotext", "-f", "2", "-l", "2", str(path), "-")
    assert grid.count("群众户签名") >= 2 and "Pages:           2" in run("pdfinfo", str(path))
    assert "群众5" in text and "13900000005" in text and not SEED_NAME.search(text)

    _path, text = form_pdf(client, tmp_path, project, "notice")  # 附件2
    order = ["荷花街道“党员微服务，群众大满意”活动项目完成情况公示", "村（社区）名称：吴庄社区", "项目名称", "牵头党员", "村社区负责人", "王书记", "实用总资金",
             "8,450.50元", "资金来源", "项目实施之前照片", "项目完成之后照片", "监督电话：0516-89001234"]
    at = [text.find(w) for w in order]
    assert -1 not in at and at == sorted(at), [w for w, i in zip(order, at) if i == -1]
    assert "2026年12月21日至2026年12月25日" in text and "（盖章）" in text and not SEED_NAME.search(text)

    _path, text = form_pdf(client, tmp_path, project, "acceptance")  # 附件3
    order = ["荷花街道“党员微服务，群众大满意”活动项目验收表", "村（社区）名称：吴庄社区", "项目名称", "牵头党员", "参与项目人数", "耗资金额", "8,450.50元",
             "项目完成具体情况", "村（社区）党组织意见", "村（社区）党组织书记签字：", "街道党工委意见",
             "街道组织委员签字："]
    at = [text.find(w) for w in order]
    assert -1 not in at and at == sorted(at), [w for w, i in zip(order, at) if i == -1]
    assert "修缮社区道路120米，安装路灯6盏" in text and text.count("（盖章）") == 2 and "资金使用符合规定" not in text  # nothing checked yet: no verdict on the funds is printed

    path, text = form_pdf(client, tmp_path, project, "plaque")  # 附件4
    assert "党员为群众办实事项目" in text and "浏阳市荷花街道党工委" in text and "35×24" in text
    assert "蚀刻铜牌" in text and "四角预留钉孔" in text and not SEED_NAME.search(text)
    assert "(A3)" in run("pdfinfo", str(path))


def test_a_scheme_without_attached_forms_offers_none(client, db, project):
    """Seed 001 (郑坊镇) attaches no forms: its project page offers none and asking for 000's 附件1 is
    refused with the reason, instead of printing another street's form."""
    project.program = "zhengfang-town"
    db.add(project)
    db.commit()
    page = client.get(f"/micro/{project.id}").get_data(as_text=True)
    assert "data-forms" not in page and "/forms/application" not in page
    refused = client.get(f"/micro/{project.id}/forms/application")
    assert refused.status_code == 404
    assert "郑坊镇“党建+网格+微小事”工作”未附活动项目申报表" in refused.get_data(as_text=True)


def test_an_unknown_form_is_404(client, project):
    assert client.get(f"/micro/{project.id}/forms/nope").status_code == 404
    assert client.get("/micro/999999/forms/application").status_code == 404


def test_every_seed_has_a_document_record_and_a_bad_file_names_its_lines():
    from inspector.core import checklist, sources
    docs = sources.documents()
    assert set(docs) == set(checklist.SEEDS)
    c = sources.cite("002_a83f9f6db4fc39eb.txt › 篇六 附件1 序号2；附件2 序号2")
    assert c.words == "《振兴重点村党群服务中心建设项目实施方案》附件1 第2项；附件2 第2项"
    assert sources.cite("000_7a80efa72703d9ff.txt › 附件1").record == (
        "中共浏阳市荷花街道工委、浏阳市荷花街道办事处，荷工发〔2023〕65号，2023年9月13日")
    bad = ("documents:\n"
           "  - file: 000_7a80efa72703d9ff.txt\n"
           "    title: 《带书名号》\n"
           "    issuer: null\n"
           "  - file: 999_0000000000000000.txt\n"
           "    title: 不存在\n")
    with pytest.raises(checklist.ChecklistError) as exc:
        sources.parse_text(bad, "sources.yaml")
    message = str(exc.value)
    assert "sources.yaml:3:" in message and "书名号" in message
    assert "sources.yaml:5:" in message and "999_0000000000000000.txt" in message
    unexplained = "documents:\n  - file: 000_7a80efa72703d9ff.txt\n    title: 某方案\n    issuer: null\n"
    with pytest.raises(checklist.ChecklistError) as exc:
        sources.parse_text(unexplained, "sources.yaml")
    assert "sources.yaml:2:" in str(exc.value) and "note" in str(exc.value)  # a null issuer must say why
    with pytest.raises(checklist.ChecklistError) as exc:
        sources.parse_text(unexplained + "    note: 原文未署名\n", "sources.yaml")
    assert "缺少原文 001_ce2f6b89bf5be0ba.txt 的记录" in str(exc.value)


def test_walk_page_and_checklist_browser_cite_by_title(client, db, acceptance):
    ins, _site, _spec = acceptance
    ins.status = "draft"
    db.commit()
    page = client.get(f"/inspections/{ins.id}?open=all").get_data(as_text=True)
    assert '<details class="source cite"><summary>《振兴重点村党群服务中心建设项目实施方案》' in page
    assert not SEED_NAME.search(page)
