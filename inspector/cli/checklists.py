"""`flask checklists …`: validate checklist and program files, list the loaded checklists, judge again."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..core.checklist import main as validate_main


@click.group("checklists", cls=AppGroup)
def checklists_group():
    """Checklists (the standards as YAML)."""


@checklists_group.command("validate")
@click.argument("paths", nargs=-1)
def checklists_validate(paths):
    """Validate checklist files and print every problem at once."""
    sys.exit(validate_main(list(paths) or [current_app.config["CHECKLIST_DIR"]]))


@checklists_group.command("programs")
@click.argument("paths", nargs=-1)
def checklists_programs(paths):
    """Validate program definition files (checklists/programs/*.yaml) and print every problem at once."""
    from ..core.programs import main as programs_main
    sys.exit(programs_main(list(paths) or [str(Path(current_app.config["CHECKLIST_DIR"]) / "programs")]))


@checklists_group.command("list")
def checklists_list():
    """List the loaded checklists with their item counts and content hashes."""
    for spec in current_app.extensions["checklists"].values():
        click.echo(f"{spec.id:18} v{spec.version:8} {len(spec.items()):4} 项  {spec.content_hash[:12]}  {spec.title}")


@checklists_group.command("reevaluate")
def checklists_reevaluate():
    """Judge open inspections again under the loaded checklists; print each changed decision."""
    from ..services.reevaluate import reevaluate_open
    kept: list[dict] = []
    with current_app.extensions["engine"].begin() as conn:
        records = reevaluate_open(conn, current_app.extensions["checklists"], kept=kept)
    for k in kept:
        click.echo(f"检查 {k['inspection_id']}：保留原清单版本（新版本已无已答条目 {'、'.join(k['lost'])}）")
    for r in records:
        mark = "结论变更" if r["changed"] else "结论未变"
        click.echo(f"检查 {r['inspection_id']}：{mark}：{r['before']['verdict_label']} → {r['after']['verdict_label']}")
    click.echo(f"共重新评定 {len(records)} 次检查（已签发的报告不变）")
