"""`flask` commands: database, checklists, site import with a row-by-row report, users, demo data."""
from sqlmodel import select

from inspector.models import AuditLog, Inspection, Site, User
from inspector.services import users

from . import factories


def test_db_upgrade_is_idempotent(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "数据库已是最新" in result.output


def test_checklists_validate_and_list(runner):
    result = runner.invoke(args=["checklists", "validate"])
    # 7: issue 17 added service-project.yaml (seed 003), issue 13 gave seed 001's scheme its own checklist
    assert result.exit_code == 0 and "7 个清单全部有效" in result.output
    listing = runner.invoke(args=["checklists", "list"]).output
    assert "build-standard" in listing and "十二个一" in listing


def test_checklists_validate_reports_a_bad_file(runner, tmp_path):
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: 坏\n", encoding="utf-8")
    result = runner.invoke(args=["checklists", "validate", str(tmp_path)])
    assert result.exit_code == 1 and "bad.yaml:1:" in result.output and "sections" in result.output


def test_demo_load_creates_a_county_once(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "20 个站点" in first.output
    assert runner.invoke(args=["demo", "load"]).output.strip() == "演示数据已存在"
    assert len(db.exec(select(Site)).all()) == 20
    statuses = {i.status for i in db.exec(select(Inspection))}
    assert {"draft", "submitted", "returned", "approved"} <= statuses
    assert all(s.lat and 34 < s.lat < 35.2 and 116.5 < s.lon < 117.3 for s in db.exec(select(Site)))


def test_sites_import_csv(runner, db, tmp_path):
    factories.county(db)
    db.commit()
    path = tmp_path / "sites.csv"
    path.write_text("名称,类型,乡镇,地址,纬度,经度,申报等级\n"
                    "李庄村党群服务中心,村,龙固镇,龙固镇李庄村,34.85,116.87,达标村\n"
                    "新华社区党群服务中心,社区,T102,杨屯镇新华路1号,,,\n", encoding="utf-8-sig")
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "已导入 2 个站点" in result.output
    site = db.exec(select(Site).where(Site.name == "李庄村党群服务中心")).one()
    assert (site.site_type, site.tier_applied, site.lat) == ("village", "standard", 34.85)
    assert len(db.exec(select(AuditLog).where(AuditLog.action == "import")).all()) == 2


def test_sites_import_reports_every_bad_row_and_stores_nothing(runner, db, tmp_path):
    factories.county(db)
    db.commit()
    path = tmp_path / "sites.csv"
    path.write_text("名称,类型,乡镇,纬度,经度,申报等级\n"
                    "甲村党群服务中心,村,龙固镇,34.8,116.8,达标村\n"
                    "乙村党群服务中心,镇,龙固镇,,,\n"
                    "丙村党群服务中心,村,不存在镇,,,\n"
                    "丁村党群服务中心,村,龙固镇,91,116.8,\n"
                    "戊村党群服务中心,村,龙固镇,34.8,,\n"
                    "甲村党群服务中心,村,龙固镇,,,金牌\n", encoding="utf-8")
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "未保存任何数据（5 处错误）" in out
    assert "第 3 行：类型应为“村”或“社区”" in out
    assert "第 4 行：找不到乡镇（街道）'不存在镇'" in out
    assert "第 5 行：纬度 91.0 不在中国境内" in out
    assert "第 6 行：纬度和经度要么都填" in out
    assert "第 7 行：申报等级应为" in out
    assert db.exec(select(Site)).all() == []


def test_sites_import_excel(runner, db, tmp_path):
    from openpyxl import Workbook
    factories.county(db)
    db.commit()
    wb = Workbook()
    wb.active.append(["name", "site_type", "township", "lat", "lon", "tier_applied"])
    wb.active.append(["王楼村党群服务中心", "village", "杨屯镇", 34.64, 116.98, "demo"])
    wb.active.append(["重复社区党群服务中心", "社区", "杨屯镇", None, None, None])
    wb.active.append(["重复社区党群服务中心", "社区", "杨屯镇", None, None, None])
    wb.save(tmp_path / "sites.xlsx")
    result = runner.invoke(args=["sites", "import", str(tmp_path / "sites.xlsx")])
    assert result.exit_code == 1 and "第 4 行：杨屯镇 已有名为 '重复社区党群服务中心' 的站点" in result.output
    wb.active.delete_rows(4)
    wb.save(tmp_path / "sites.xlsx")
    result = runner.invoke(args=["sites", "import", str(tmp_path / "sites.xlsx")])
    assert result.exit_code == 0 and "已导入 2 个站点" in result.output


def test_sites_import_refuses_unknown_columns_and_encodings(runner, db, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("名字,类型\n", encoding="utf-8")
    assert "未知的列 名字" in runner.invoke(args=["sites", "import", str(path)]).output
    path.write_bytes("名称,类型,乡镇\n甲,村,龙固镇\n".encode("gbk"))
    assert "不是 UTF-8" in runner.invoke(args=["sites", "import", str(path)]).output


def test_users_create(runner, db):
    c = factories.county(db)
    db.commit()
    result = runner.invoke(args=["users", "create", "wang", "--name", "王芳", "--role", "inspector",
                                 "--region", c["county"].code], input="long-password-1\nlong-password-1\n")
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.username == "wang")).one()
    assert user.password_hash.startswith("$argon2") and users.check_password(user, "long-password-1")
    assert not users.check_password(user, "wrong")
    bad = runner.invoke(args=["users", "create", "li", "--name", "李", "--role", "mayor", "--region", c["county"].code],
                        input="long-password-1\nlong-password-1\n")
    assert bad.exit_code != 0 and "未知角色" in bad.output


def test_sites_import_names_the_file_line_even_after_blank_lines(runner, db, tmp_path):
    factories.county(db)
    db.commit()
    path = tmp_path / "sites.csv"
    path.write_text("名称,类型,乡镇\n"
                    "甲村党群服务中心,村,龙固镇\n"
                    ",,\n"
                    "\n"
                    "乙村党群服务中心,镇,龙固镇\n", encoding="utf-8")
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 1
    assert "第 5 行：类型应为“村”或“社区”" in result.output
    assert db.exec(select(Site)).all() == []
