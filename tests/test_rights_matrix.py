"""The rights matrix: every route × every role (and a visitor), in the user's own region and in another.

`MATRIX` must list every rule of `app.url_map` (a new route that is not listed fails
`test_every_route_is_in_the_matrix` with its name), except rules under `PENDING_PREFIXES`: those
areas are being built right now and are reported, not failed, until their rows are added here.

Expectations come from `services.rights` (START / REVIEW / ACCEPT / ACTIONS) wherever a route
depends on a role, and from the one rights table (`services.rights.ACTIONS`, landmark and micro
actions included) and the route steps' owners in the program files, so changing a table changes what this
test expects. A role that may act sends an empty or out-of-order form and gets the view's 422 / 409
(it passed the rights check, nothing is stored); the public notice pages answer anyone. Order of checks:
a record outside the user's region answers 404 before any role check (it does not exist for them);
the admin pages check the role first (403) and then the region (404).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import pytest
from inspector.runtime import get_calendar
from inspector.core import micro as micro_rules
from inspector.models import PURPOSES, ROLES, Answer, Inspection, Job, MicroProject, Photo, Report
from inspector.services import checklists, landmark, micro, programs, regions, rights, users

from . import factories, samples

ANON = "anonymous"
ALL = (*ROLES, ANON)
REDIRECT_TO_LOGIN = 302
PASSWORD = "correct-horse-1"

# Areas other engineers are adding now (URL prefixes). Their rules are reported by
# test_every_route_is_in_the_matrix instead of failing it; empty once every area's rows are in MATRIX,
# so that a route missing from the matrix fails.
PENDING_PREFIXES: tuple[str, ...] = ()

# Routes whose view does not yet check what the rights table says: (endpoint, method) → (a role that
# shows the gap, why). Mismatches on these are tolerated; when the named role no longer sees one the
# view was fixed, and the test fails until the entry is removed (so a fixed gap cannot reopen unseen).
KNOWN_GAPS: dict[tuple[str, str], tuple[str, str]] = {}

CHECKLIST_OF = {"self_assessment": "build-standard", "inspection": "build-standard",
                "completion_acceptance": "build-standard", "red_landmark": "red-landmark",
                "micro_project": "micro-project"}
HOME = {"village": "village", "township": "township", "inspector": "county", "county_reviewer": "county",
        "city_reviewer": "city", "admin": "city", "contractor": "village"}


# ---------------------------------------------------------------- expectations

Expect = Callable[[str, str], int]  # (role, side) -> status; side is "own", "other" or "-" (no record)


def public(code: int = 200) -> Expect:
    """Anyone, signed in or not."""
    return lambda role, side: code


def signed_in(code: int = 200) -> Expect:
    """Any signed-in role; a record of another region is not found."""
    return lambda role, side: REDIRECT_TO_LOGIN if role == ANON else 404 if side == "other" else code


def role_in(allowed: Callable[[], set[str]], code: int, *, region_first: bool = True) -> Expect:
    """Roles in `allowed()` get `code`, others 403; another region's record 404 (before or after the role)."""
    def expect(role: str, side: str) -> int:
        if role == ANON:
            return REDIRECT_TO_LOGIN
        may = role in allowed()
        if side == "other" and (region_first or may):
            return 404
        return code if may else 403
    return expect


def start(p: str, code: int) -> Expect:
    return role_in(lambda: rights.START.get(p, set()), code)


def review(p: str, code: int) -> Expect:
    return role_in(lambda: rights.REVIEW.get(p, set()), code)


def action(name: str, code: int, *, region_first: bool = True) -> Expect:
    return role_in(lambda: rights.ACTIONS.get(name, set()), code, region_first=region_first)


def admin_area() -> Expect:
    return role_in(lambda: rights.ACTIONS["manage_users"] | rights.ACTIONS["audit_log"], 200)


def accept(p: str) -> Expect:
    if p == "completion_acceptance":  # accepted by its signatures: refused with a message (flash) for everyone
        return signed_in(303)
    return role_in(lambda: rights.ACCEPT.get(p, set()), 303)  # a draft: refused by a flash, then 303


def follow_up(p: str) -> Expect:
    return role_in(lambda: rights.ACTIONS["rectify"] & rights.START.get(p, set()), 303)


def both(a: str, b: str, code: int) -> Expect:
    """Roles allowed both actions of rights.ACTIONS (a view that requires one, then the other)."""
    return role_in(lambda: rights.ACTIONS[a] & rights.ACTIONS[b], code)


def red_landmark(step_action: str, code: int) -> Expect:
    """A step of a red-landmark application: the roles of `rights.ACTIONS["landmark_<action>"]`."""
    return role_in(lambda: rights.ACTIONS["landmark_" + step_action], code)


def red_landmark_owner(step: str, code: int) -> Expect:
    """A step with no form of its own in landmark.STEPS (revocation): the step's owner role."""
    return role_in(lambda: {landmark.procedure().step(step).role}, code)


# The village applies for the title (002 篇五 7.2; `landmark.apply` and the view's `_village_only`). The
# service names no table for it, so this one set is written here; it is checked after the role (403 first).
LANDMARK_APPLY = {"village"}


def micro_role(name: str, code: int) -> Expect:
    """A micro-project action: the roles of `rights.ACTIONS["micro_<action>"]`; another region's record 404 first."""
    return role_in(lambda: rights.ACTIONS["micro_" + name], code)


def micro_step(route: str, step: str, code: int) -> Expect:
    """A route step of a micro project: only the step's owner role (its program's band) decides it."""
    return role_in(lambda: {_band(route).step(step).owner_role}, code)


MICRO_PROGRAM = "zhengfang-town"  # the matrix's sites follow seed 001's "1 + N" bands


def _band(route: str):
    """A band of the matrix sites' program as a route."""
    return micro_rules.route_of_band(programs.get(MICRO_PROGRAM).band(route))


@dataclass
class Case:
    """One request: route, method, URL template ({own}/{other} keys are filled per side), expectation."""

    endpoint: str
    method: str
    url: str
    expect: Expect
    data: dict | Callable[[dict], dict] | None = None
    headers: dict = field(default_factory=dict)
    sides: tuple[str, ...] = ("own", "other")
    upload: bool = False
    label: str = ""

    @property
    def name(self) -> str:
        return f"{self.method} {self.endpoint}{f'[{self.label}]' if self.label else ''}"


HX = {"HX-Request": "true"}


def _per_purpose() -> list[Case]:
    """Routes whose rights depend on the inspection's purpose: one case per purpose."""
    cases = []
    for p in PURPOSES:
        item = "{item_%s}" % p
        cases += [
            Case("inspections.create", "POST", "/sites/{site}/inspections", start(p, 303), label=p,
                 data=lambda w, p=p: {"purpose": p, "checklist": CHECKLIST_OF[p], "tier": w["tier_" + p]}),
            Case("inspections.save", "POST", f"/inspections/{{draft_{p}}}/items/{item}", start(p, 303), label=p,
                 data={"value": "pass", "base_version": "0"}),
            Case("inspections.upload", "POST", f"/inspections/{{draft_{p}}}/items/{item}/photos", start(p, 303),
                 label=p, upload=True),
            Case("inspections.submit", "POST", f"/inspections/{{draft_{p}}}/submit", start(p, 422), label=p),
            Case("review.review", "GET", f"/inspections/{{submitted_{p}}}/review", review(p, 200), label=p),
            Case("review.return_", "POST", f"/inspections/{{submitted_{p}}}/return", review(p, 422), label=p),
            Case("review.approve", "POST", f"/inspections/{{draft_{p}}}/approve", review(p, 422), label=p),
            Case("review.reject", "POST", f"/inspections/{{draft_{p}}}/reject", review(p, 422), label=p),
            Case("review.accept", "POST", f"/inspections/{{draft_{p}}}/accept", accept(p), label=p),
            Case("review.follow_up", "POST", f"/inspections/{{draft_{p}}}/follow-up", follow_up(p), label=p),
        ]
    return cases


# Red-landmark applications built on each side, one per status (services.landmark.STATUS_LABELS).
LANDMARK_STATUSES = ("applied", "township_recommended", "county_recommended", "under_review", "meeting", "noticed",
                     "failed", "awarded")
# Micro projects waiting at a route step, one per owner role: (route, step, budget, size).
MICRO_DECIDE = (("village", "village_decide", "8,600", "small"),
                ("township_review", "township_review", "50,000", "small"),
                ("township_decide", "district_file", "150,000", "large"))
MICRO_STATUSES = ("approved", "started", "noticed", "accepting", "evaluated", "archived")
MICRO_KEYS = (*(step for _r, step, _b, _s in MICRO_DECIDE), *MICRO_STATUSES)
TODAY = date(2026, 5, 20)  # a Wednesday: the red-landmark and micro completion notices built below are running

NEW_USER = {"display_name": "新用户", "role": "village", "password": "long-password-9", "repeat": "long-password-9"}

MATRIX: list[Case] = [
    # ---- public pages
    Case("static", "GET", "/static/app.css", public(), sides=("-",)),
    Case("service_worker", "GET", "/sw.js", public(), sides=("-",)),  # the offline shell (docs/offline.md)
    Case("bundle", "GET", "/static/bundle/walk.js", public(), sides=("-",)),  # the walk's scripts as one file
    Case("main.home", "GET", "/", public(), sides=("-",)),
    Case("main.healthz", "GET", "/healthz", public(), sides=("-",)),
    Case("checklists.index", "GET", "/checklists/", public(), sides=("-",)),
    Case("checklists.detail", "GET", "/checklists/build-standard", public(), sides=("-",)),
    Case("reports.verify", "GET", "/verify/{report_public}", public()),  # the QR's target: any region, no login
    Case("reports.verify", "POST", "/verify/{report_public}", public(400)),  # no file chosen
    # ---- auth
    Case("auth.login", "GET", "/login", lambda role, side: 200 if role == ANON else 302, sides=("-",)),
    Case("auth.login", "POST", "/login", lambda role, side: 422 if role == ANON else 302, sides=("-",),
         data={"username": "nobody", "password": "wrong-password"}),
    Case("auth.password", "GET", "/account/password", signed_in(), sides=("-",)),
    Case("auth.password", "POST", "/account/password", signed_in(422), sides=("-",), data={"current": "wrong"}),
    # ---- notifications (issue 16): each user's own; another's (or none) is not found
    Case("notifications.index", "GET", "/notifications/", signed_in(), sides=("-",)),
    Case("notifications.read_all", "POST", "/notifications/read", signed_in(303), sides=("-",)),
    Case("notifications.open_", "POST", "/notifications/999999/open",
         lambda role, side: REDIRECT_TO_LOGIN if role == ANON else 404, sides=("-",)),
    # ---- sites
    Case("sites.index", "GET", "/sites/", signed_in(), sides=("-",)),
    Case("sites.detail", "GET", "/sites/{site}", signed_in()),
    Case("sites.location", "GET", "/sites/{site}/location", signed_in()),
    Case("sites.location", "POST", "/sites/{site}/location", action("edit_site", 303),
         data={"lat": "34.87", "lon": "116.86", "system": "wgs84", "geofence_m": "200"}),
    Case("sites.category", "GET", "/sites/{site}/category", signed_in()),
    Case("sites.category", "POST", "/sites/{site}/category", action("set_category", 422), data={"category": "demo"}),
    # ---- inspections (field)
    Case("inspections.new", "GET", "/sites/{site}/inspections/new", signed_in()),
    Case("inspections.walk", "GET", "/inspections/{draft_inspection}", signed_in()),
    Case("inspections.section", "GET", "/inspections/{draft_inspection}/sections/1", signed_in()),
    Case("inspections.item", "GET", "/inspections/{draft_inspection}/items/{item_inspection}", signed_in(),
         headers=HX),
    Case("inspections.summary", "GET", "/inspections/{draft_inspection}/summary", signed_in()),
    *_per_purpose(),
    # ---- review (the parts that do not depend on the purpose)
    Case("review.sign_form", "GET", "/inspections/{draft_completion_acceptance}/sign", signed_in()),
    Case("review.sign", "POST", "/inspections/{draft_completion_acceptance}/sign", signed_in(422),
         data={"password": PASSWORD}),
    # a signer without an account signs on the inspector's phone; a draft has no such signer (404)
    Case("review.hand_form", "GET", "/inspections/{draft_completion_acceptance}/sign/999999/hand",
         start("completion_acceptance", 404)),
    Case("review.hand_sign", "POST", "/inspections/{draft_completion_acceptance}/sign/999999/hand",
         start("completion_acceptance", 404)),
    # ---- reports
    Case("reports.index", "GET", "/inspections/{draft_completion_acceptance}/reports", signed_in()),
    Case("reports.preview", "GET", "/inspections/{draft_completion_acceptance}/reports/acceptance", signed_in()),
    Case("reports.issue", "POST", "/inspections/{draft_completion_acceptance}/reports/acceptance",
         action("issue_report", 422)),  # a draft may be previewed, not issued
    Case("reports.download", "GET", "/reports/{report_public}.pdf", signed_in()),
    # ---- media
    Case("media.file", "GET", "/media/{photo_thumb}", signed_in(), label="photo"),
    Case("media.file", "GET", "/media/{report_path}", signed_in(), label="report"),
    # ---- a photo's page and managing it before submission (issue 15; the photo is on a draft inspection)
    Case("photos.detail", "GET", "/photos/{photo_id}", signed_in()),
    Case("photos.delete", "POST", "/photos/{photo_id}/delete", start("inspection", 422)),  # no reason given
    Case("photos.replace", "POST", "/photos/{photo_id}/replace", start("inspection", 422)),  # no reason given
    Case("photos.markup_page", "GET", "/photos/{photo_id}/markup", start("inspection", 200)),
    Case("photos.markup", "POST", "/photos/{photo_id}/markup", start("inspection", 400)),  # no file
    # ---- admin
    Case("admin.index", "GET", "/admin/", admin_area(), sides=("-",)),
    Case("admin.users_list", "GET", "/admin/users", action("manage_users", 200), sides=("-",)),
    Case("admin.new_user", "GET", "/admin/users/new", action("manage_users", 200), sides=("-",)),
    Case("admin.create_user", "POST", "/admin/users", action("manage_users", 303, region_first=False),
         data=lambda w: {**NEW_USER, "username": f"new-{w['me']}", "region": w["village"]}),
    Case("admin.edit_user", "GET", "/admin/users/{user}", action("manage_users", 200, region_first=False)),
    Case("admin.update_user", "POST", "/admin/users/{user}", action("manage_users", 303, region_first=False),
         data=lambda w: {"display_name": "改名", "role": "village", "region": w["village"], "active": "1"}),
    Case("admin.reset_password", "POST", "/admin/users/{user}/password",
         action("manage_users", 303, region_first=False),
         data={"password": "long-password-9", "repeat": "long-password-9"}),
    Case("admin.audit", "GET", "/admin/audit", action("audit_log", 200), sides=("-",)),
    Case("calendar.index", "GET", "/admin/calendar/", action("view_calendar", 200), sides=("-",)),
    Case("calendar.year_form", "GET", "/admin/calendar/2027", action("edit_calendar", 200), sides=("-",)),
    Case("calendar.enter", "POST", "/admin/calendar/2027", action("edit_calendar", 422), sides=("-",),
         data={"number": "", "holidays": "2027-01-01"}),
    # ---- dashboard (rights.ACTIONS dashboard / export / import_sites; the user's own region only)
    Case("dashboard.index", "GET", "/dashboard/", action("dashboard", 200), sides=("-",)),
    Case("dashboard.index", "GET", "/dashboard/", action("dashboard", 200), sides=("-",), headers=HX, label="htmx"),
    Case("dashboard.export", "GET", "/dashboard/export.xlsx", action("export", 200), sides=("-",)),
    Case("dashboard.import_sites", "GET", "/dashboard/import", action("import_sites", 200), sides=("-",)),
    Case("dashboard.import_sites", "POST", "/dashboard/import", action("import_sites", 422), sides=("-",)),  # no file
    Case("dashboard.import_template", "GET", "/dashboard/import/template.xlsx", action("import_sites", 200),
         sides=("-",)),
    # ---- jobs (inspector/jobs): a job's page and result follow its kind's right (export here) and its region
    Case("jobs.index", "GET", "/jobs/", signed_in(), sides=("-",)),
    Case("jobs.show", "GET", "/jobs/{job_public}", action("export", 200)),
    Case("jobs.status", "GET", "/jobs/{job_public}/status", action("export", 200)),
    Case("jobs.result", "GET", "/jobs/{job_public}/result", action("export", 200)),
    Case("jobs.export", "POST", "/jobs/export", action("export", 303), sides=("-",)),
    Case("jobs.import_sites", "POST", "/jobs/import", action("import_sites", 422), sides=("-",)),  # no file
    Case("jobs.batch_issue", "GET", "/jobs/batch-issue", action("issue_report", 200), sides=("-",)),
    Case("jobs.batch_issue", "POST", "/jobs/batch-issue", action("issue_report", 422), sides=("-",)),  # none chosen
    Case("jobs.notice_pdf", "POST", "/jobs/notice/{notice_public}", action("issue_report", 303)),
    # ---- self-assessment vs inspection (the site has a submitted pair on the build standard)
    Case("compare.index", "GET", "/compare/", action("compare", 200), sides=("-",)),
    Case("compare.index", "GET", "/compare/", action("compare", 200), sides=("-",), headers=HX, label="htmx"),
    Case("compare.export", "GET", "/compare/export.csv", both("compare", "export", 200), sides=("-",)),
    Case("compare.site", "GET", "/compare/site/{site}", action("compare", 200, region_first=False)),
    # ---- red landmark: one application per step on each side; a role that may act sends an empty form
    # (422) or acts out of order (409), a role that may not gets 403, another region's application 404.
    Case("landmark.index", "GET", "/landmark/", signed_in(), sides=("-",)),
    Case("landmark.index", "GET", "/landmark/", signed_in(), sides=("-",), headers=HX, label="htmx"),
    Case("landmark.due", "GET", "/landmark/due", action("due_list", 200), sides=("-",)),
    Case("landmark.new", "GET", "/landmark/new", role_in(lambda: LANDMARK_APPLY, 200), sides=("-",)),
    Case("landmark.create", "POST", "/landmark/", role_in(lambda: LANDMARK_APPLY, 422, region_first=False),
         data=lambda w: {"site_id": w["site"]}),  # no self-assessment chosen; another region's site 404
    *[Case("landmark.detail", "GET", f"/landmark/{{lm_{status}}}", signed_in(), label=status)
      for status in LANDMARK_STATUSES],
    Case("landmark.township", "POST", "/landmark/{lm_applied}/township", red_landmark("township_recommend", 422)),
    Case("landmark.county_ranking", "GET", "/landmark/county", role_in(lambda: {"county_reviewer"}, 200),
         sides=("-",)),
    Case("landmark.county_rank", "POST", "/landmark/county", role_in(lambda: {"county_reviewer"}, 422),
         sides=("-",)),  # the waiting application has no rank
    Case("landmark.evidence_file", "GET", "/landmark/{lm_applied}/evidence/a/0", signed_in()),
    Case("landmark.meeting", "POST", "/landmark/{lm_meeting}/meeting", red_landmark("meeting", 422),
         data={"outcome": "approve"}),  # no meeting date
    Case("landmark.received", "POST", "/landmark/{lm_county_recommended}/received", red_landmark("receive", 422)),
    Case("landmark.evaluation", "POST", "/landmark/{lm_under_review}/evaluation",
         red_landmark("start_evaluation", 409)),  # already started: not twice
    Case("landmark.result", "POST", "/landmark/{lm_under_review}/result",
         red_landmark("record_result", 409)),  # the evaluation is not submitted yet
    Case("landmark.objection", "POST", "/landmark/{lm_noticed}/objections", red_landmark("objection", 422)),
    Case("landmark.resolve", "POST", "/landmark/{lm_noticed}/objections/{lm_objection}/resolve",
         red_landmark("objection", 422)),
    Case("landmark.award", "POST", "/landmark/{lm_noticed}/award", red_landmark("award", 409)),  # notice running
    Case("landmark.refuse", "POST", "/landmark/{lm_failed}/refuse", red_landmark("refuse", 422)),
    Case("landmark.revoke", "POST", "/landmark/{lm_awarded}/revoke", red_landmark_owner("revoke", 422)),
    # ---- micro projects: a project at each status (and one at each owner's route step) on each side
    Case("micro.index", "GET", "/micro/", signed_in(), sides=("-",)),
    Case("micro.program_list", "GET", "/micro/programs", signed_in(), sides=("-",)),
    Case("micro.bind", "POST", "/micro/sites/{site}/program", role_in(lambda: rights.ACTIONS["micro_bind_program"], 422)),  # no program
    Case("micro.new", "GET", "/micro/sites/{site}/new", micro_role("apply", 200)),
    Case("micro.create", "POST", "/micro/sites/{site}/projects", micro_role("apply", 422)),
    *[Case("micro.detail", "GET", f"/micro/{{mp_{key}}}", signed_in(), label=key) for key in MICRO_KEYS],
    # seed 000 forms filled from the record: whoever may see the project (an unknown form is 404)
    Case("reports.micro_form", "GET", "/micro/{mp_%s}/forms/no-such-form" % MICRO_KEYS[0], signed_in(404)),
    *[Case("micro.decide", "POST", f"/micro/{{mp_{step}}}/steps/{step}", micro_step(route, step, 422), label=step,
           data={"outcome": "reject"})  # a refusal needs a reason: 422 for the step's owner
      for route, step, _budget, _size in MICRO_DECIDE],
    Case("micro.plan_notice", "POST", "/micro/{mp_approved}/plan-notice", micro_role("plan_notice", 422)),
    Case("micro.start", "POST", "/micro/{mp_started}/start", micro_role("start", 409)),  # started already
    Case("micro.complete", "GET", "/micro/{mp_started}/complete", micro_role("complete", 200)),
    Case("micro.complete", "POST", "/micro/{mp_started}/complete", micro_role("complete", 422)),  # no photos
    Case("micro.acceptance", "POST", "/micro/{mp_noticed}/acceptance",
         micro_role("acceptance", 409)),  # the completion notice is still running
    Case("micro.satisfaction", "POST", "/micro/{mp_accepting}/satisfaction", micro_role("satisfaction", 422)),
    Case("micro.archive", "POST", "/micro/{mp_archived}/archive", micro_role("archive", 409)),  # archived already
    Case("micro.photo", "GET", "/micro/{mp_noticed}/photos/0/thumb", signed_in()),
    Case("micro.fund", "GET", "/micro/sites/{site}/fund", signed_in()),
    Case("micro.add_member", "POST", "/micro/sites/{site}/fund/members",
         micro_role("fund", 409)),  # seed 001's scheme gives members no fund
    Case("micro.commit", "POST", "/micro/sites/{site}/fund/commitments", micro_role("fund", 422)),
    # ---- public notices (the QR's target): no login, any region; an unknown id is not found
    Case("notices.public", "GET", "/notice/{notice_public}", public()),
    Case("notices.public", "GET", "/notice/no-such-notice", public(404), sides=("-",), label="unknown"),
    Case("notices.pdf", "GET", "/notice/{notice_public}.pdf", public()),
    Case("notices.pdf", "GET", "/notice/no-such-notice.pdf", public(404), sides=("-",), label="unknown"),
    Case("notices.photo", "GET", "/notice/{notice_public}/photo/1/thumb", public()),
    Case("notices.photo", "GET", "/notice/no-such-notice/photo/1/thumb", public(404), sides=("-",),
         label="unknown"),
    # ---- last: sign out
    Case("auth.logout_everywhere", "POST", "/logout/everywhere", signed_in(303), sides=("-",)),  # signs in again
    Case("auth.logout", "POST", "/logout", signed_in(303), sides=("-",)),
]


# ---------------------------------------------------------------- the world

def _first_check_item(spec, tier) -> str:
    return next(i.id for i in spec.items() if i.kind == "check" and i.applies(tier, "village"))


def _red_landmarks(db, specs, *, village, staff, author, calendar, city_name: str, media: Path) -> dict:
    """One red-landmark application per status on its own site (one application per site and year), taken
    there through `services.landmark`; the noticed one has an objection still open."""
    red = checklists.ensure_version(session=db, spec=specs["red-landmark"])
    build = checklists.ensure_version(session=db, spec=specs["build-standard"])
    tier = specs["build-standard"].tiers[0].id
    out = {}
    county = db.get(type(village), db.get(type(village), village.parent_id).parent_id)
    # the one left waiting for the county comes last: the county ranks every waiting application at once
    for n, status in enumerate(sorted(LANDMARK_STATUSES, key=lambda s: s == "township_recommended"), start=1):
        site = factories.site(db, village, name=f"{city_name}红色地标申报点{n}")
        sa = Inspection(site_id=site.id, checklist_version_id=red.id, purpose="self_assessment", status="submitted",
                        created_by_id=staff["village"].id)
        proof = Inspection(site_id=site.id, checklist_version_id=build.id, purpose="completion_acceptance", tier=tier,
                           status="approved", verdict="pass", score=91.0, created_by_id=author.id)
        db.add_all([sa, proof])
        db.flush()
        evidence = {key: [landmark.Upload(f"{key}.jpg", samples.jpeg(64, 48))] for key in landmark.EVIDENCE_KEYS}
        a = landmark.apply(session=db, site=site, by=staff["village"], today=date(2026, 3, 2), calendar=calendar,
                           self_assessment_id=sa.id, leadership_ok=True, operating_since=date(2024, 5, 1),
                           no_major_incident=True, evidence_files=evidence, media_root=media, town_rank="1",
                           town_total="5")
        out[f"lm_{status}"] = a.id
        if status == "applied":
            continue
        landmark.township_recommend(session=db, application=a, report="班子健全，服务规范，推荐申报。",
                                    by=staff["township"], today=date(2026, 3, 4), calendar=calendar)
        if status == "township_recommended":
            continue
        landmark.county_rank(session=db, region=county, year=2026, ranking=[landmark.Ranked(a.id, 1, True)],
                             opinion="材料属实，择优推荐。", by=staff["county_reviewer"], today=date(2026, 3, 5))
        if status == "county_recommended":
            continue
        city = staff["city_reviewer"]
        landmark.receive(session=db, application=a, received_on=date(2026, 3, 6), by=city, today=date(2026, 3, 6))
        evaluation = landmark.start_evaluation(session=db, application=a, spec=specs["red-landmark"], by=city)
        if status == "under_review":
            continue
        evaluation.status, evaluation.score = "submitted", 90.0
        evaluation.verdict = "fail" if status == "failed" else "pass"
        db.flush()
        # noticed: Mon 18 May + 7 working days → Tue 26 May, running on TODAY; awarded: 9–17 March, then named
        start = date(2026, 5, 18) if status == "noticed" else date(2026, 3, 9)
        landmark.record_result(session=db, application=a, by=city, today=start, calendar=calendar)
        if status == "meeting":
            continue
        if status != "failed":
            landmark.record_meeting(session=db, application=a, meeting_date=start, minutes_number="部务会纪要〔2026〕3号",
                                    approve=True, reason="", notice_start=start, contact="0516-12345678", by=city,
                                    today=start, calendar=calendar)
        if status == "noticed":
            objection = landmark.record_objection(session=db, application=a, received_on=date(2026, 5, 19),
                                                  text="公示对象名称有误。", by=city)
            out["lm_objection"] = objection.id
        elif status == "awarded":
            landmark.award(session=db, application=a, number="市组发〔2026〕8号", award_date=date(2026, 3, 25), by=city,
                           today=date(2026, 3, 25))
        assert a.status == status, (a.status, status)
    return out


MICRO_FORM = {
    "name": "修缮村内道路路灯", "size": "small", "lead_name": "张卫东", "lead_phone": "13905160001",
    "description": "更换村东头主路损坏路灯，党员群众义务安装", "scale": "LED 路灯 12 盏", "expected_effect": "夜间出行安全",
    "budget": "8,600", "fund_source": "镇级微实事专项资金", "start_date": "2026-04-01", "finish_date": "2026-12-31",
    "members": "张卫东 13905160001 党员\n李红梅 13905160002 村民代表",
    "households": "\n".join(f"户主{i} 1390516100{i} 已签" for i in range(1, 6)),
}
MICRO_DONE = {"spent": "8,600", "details": "路灯已全部更换并通电。", "village_lead": "王书记", "village_phone": "13905160009"}


def _micro_projects(app, db, specs, *, site, staff, author, calendar) -> dict:
    """Micro projects of a site through `services.micro`: one waiting at each owner's route step, and one at
    each later status. The noticed one's completion notice (with its before/after photos) is running."""
    media, limit = Path(app.config["MEDIA_DIR"]), app.config["PHOTO_MAX_BYTES"]
    village = staff["village"]
    site.micro_program = MICRO_PROGRAM
    db.add(site)

    def apply(budget="8,600", size="small"):
        form = {**MICRO_FORM, "budget": budget, "size": size, "spending": f"材料一批 材料 {budget}"}
        return micro.apply(session=db, site=site, form=form, by=village, today=date(2026, 4, 1), calendar=calendar)

    def decide(project, step):
        micro.decide(session=db, project=project, step_id=step, approve=True, note="同意", by=staff[
            micro.route_of(project).step(step).owner_role], today=date(2026, 4, 2), calendar=calendar)

    def complete(project, on):
        photo = samples.jpeg(320, 240)
        micro.complete(session=db, project=project, form=MICRO_DONE, before=[micro.Upload("before.jpg", photo)],
                       after=[micro.Upload("after.jpg", photo)], by=village, today=on, calendar=calendar,
                       media_root=media, max_bytes=limit)

    out = {}
    for route, step, budget, size in MICRO_DECIDE:
        project = apply(budget, size)
        for earlier in _band(route).steps:
            if earlier.id == step:
                break
            decide(project, earlier.id)
        assert project.route == route and project.status == "applied"
        out[f"mp_{step}"] = project.id
    for status in MICRO_STATUSES:
        project = apply()
        decide(project, "village_decide")
        out[f"mp_{status}"] = project.id
        if status == "approved":
            continue
        micro.post_plan_notice(session=db, project=project, form={"place": "村东头"}, by=village,
                               today=date(2026, 4, 2), calendar=calendar)  # 001 二 7: 事项确定后公示
        micro.start(session=db, project=project, by=village, today=date(2026, 4, 3))
        if status == "started":
            continue
        if status == "noticed":  # Mon 18 May + 5 working days → Fri 22 May: running on TODAY
            complete(project, date(2026, 5, 18))
            out["notice_public"] = micro.completion_notice(session=db, project=project).public_id
            continue
        complete(project, date(2026, 4, 20))  # 20–24 April, over before 6 May
        ins = micro.start_acceptance(session=db, project=project, spec=specs[micro.checklist_for(project)], by=author,
                                     today=date(2026, 5, 6))
        ins.status, ins.verdict, ins.score = "submitted", "pass", 95.0
        db.flush()
        if status == "accepting":
            continue
        micro.record_satisfaction(session=db, project=project, respondents="20", satisfied="18", by=village,
                                  today=date(2026, 5, 7))
        if status == "archived":
            micro.archive(session=db, project=project, by=village)
    for key in MICRO_STATUSES:
        assert db.get(MicroProject, out[f"mp_{key}"]).status == key
    return out


def build_world(app, db, specs) -> dict:
    """Two cities, each down to a village with a site; users of every role on the first side; on each
    side drafts and submitted inspections of every purpose, a photo and an issued report, a self-assessment
    and inspection pair to compare, red-landmark applications and micro projects at every step, and a
    public notice with photos."""
    app.config["TODAY"] = TODAY
    with app.app_context():
        calendar = get_calendar()
    hashed = users.hash_password(PASSWORD)
    media = Path(app.config["MEDIA_DIR"])
    sides = {}
    for side, (city_name, code) in {"own": ("徐州市", "M1"), "other": ("宿迁市", "M2")}.items():
        city = regions.add_region(session=db, name=city_name, level="city", code=code)
        county = regions.add_region(session=db, name=f"{city_name}甲县", level="county", code=code + "01", parent=city)
        town = regions.add_region(session=db, name=f"{city_name}乙镇", level="township", code=code + "0101",
                                  parent=county)
        village = regions.add_region(session=db, name=f"{city_name}丙村", level="village", code=code + "010101",
                                     parent=town)
        levels = {"city": city, "county": county, "township": town, "village": village}
        site = factories.site(db, village, name=f"{city_name}丙村党群服务中心")
        target = users.create(session=db, username=f"target-{side}", display_name="被管理的用户", role="village",
                              region=village, password_hash=hashed)
        author = users.create(session=db, username=f"author-{side}", display_name="检查员", role="inspector",
                              region=county, password_hash=hashed)
        w = {"levels": levels, "site": site.id, "user": target.id, "village": village.id}
        for p in PURPOSES:
            spec = specs[CHECKLIST_OF[p]]
            tier = spec.tiers[0].id if spec.tiers else None
            if p == "completion_acceptance" and spec.tiers:  # judged at the site's approved category (issue 13)
                tier = site.tier_applied
            version = checklists.ensure_version(session=db, spec=spec)
            w["tier_" + p] = tier or ""
            w["item_" + p] = _first_check_item(spec, tier)
            for status in ("draft", "submitted"):
                ins = Inspection(site_id=site.id, checklist_version_id=version.id, purpose=p, tier=tier,
                                 status=status, created_by_id=author.id)
                db.add(ins)
                db.flush()
                w[f"{status}_{p}"] = ins.id
        photo_path, report_path = f"photos/{side}/thumb.jpg", f"reports/{side}.pdf"
        for rel, data in ((photo_path, samples.jpeg(64, 48)), (report_path, b"%PDF-1.4 matrix\n")):
            (media / rel).parent.mkdir(parents=True, exist_ok=True)
            (media / rel).write_bytes(data)
        matrix_photo = Photo(inspection_id=w["draft_inspection"], item_id=w["item_inspection"], sha256=side * 10,
                             size_bytes=1, format="jpeg", width=64, height=48, original=photo_path,
                             display=photo_path, thumb=photo_path, by_id=author.id)
        db.add(matrix_photo)
        db.flush()
        w["photo_id"] = matrix_photo.id  # issue 15: a photo's page, delete, replace, mark-up
        db.add(Report(public_id=f"matrix{side}", number=f"M-{side}", inspection_id=w["submitted_completion_acceptance"],
                      kind="acceptance", sha256="0" * 64, path=report_path, size_bytes=16, pages=1, inputs={
                          "site": {"name": "x"}, "inspection": {"purpose": "x", "tier": None},
                          "outcome": {"score": None, "verdict_label": "x"}}, inputs_hash="0", issued_by_id=author.id))
        w.update(photo_thumb=photo_path, report_path=report_path, report_public=f"matrix{side}")
        # a finished export job of the village's region, its workbook in the media folder (jobs are region-scoped)
        job_path = f"jobs/exports/{side}.xlsx"
        (media / job_path).parent.mkdir(parents=True, exist_ok=True)
        (media / job_path).write_bytes(b"PK matrix")
        db.add(Job(public_id=f"job{side}", kind="export", key=side * 8, params={}, status="done", region_id=village.id,
                   created_by_id=author.id, result_path=job_path, result_name="x.xlsx", result_mime="application/zip"))
        w["job_public"] = f"job{side}"
        # the pair compared: the village says it has the first item, the inspector found it missing
        item = w["item_inspection"]
        db.add_all([Answer(inspection_id=w["submitted_self_assessment"], item_id=item, value="pass", result="pass",
                           by_id=author.id),
                    Answer(inspection_id=w["submitted_inspection"], item_id=item, value="fail", result="fail",
                           by_id=author.id)])
        staff = {role: users.create(session=db, username=f"{role}-{side}", display_name="经办人", role=role,
                                    region=levels[HOME[role]], password_hash=hashed)
                 for role in ("village", "township", "county_reviewer", "city_reviewer")}
        w.update(_red_landmarks(db, specs, village=village, staff=staff, author=author, calendar=calendar,
                                city_name=city_name, media=media))
        w.update(_micro_projects(app, db, specs, site=site, staff=staff, author=author, calendar=calendar))
        w.update(_ledger_records(app, db, specs, village=village, staff=staff, author=author))  # issue 17
        sides[side] = w
    me = {}
    for role in ROLES:
        region = sides["own"]["levels"][HOME[role]]
        me[role] = users.create(session=db, username=f"me-{role}", display_name=f"{role} 用户", role=role,
                                region=region, password_hash=hashed)
    _link_ledger_unit(db, me, sides)  # issue 17: the unit account speaks for the ledger records' unit
    db.commit()
    return {"sides": sides, "me": me}


def _request(client, case: Case, world: dict, side: str, role: str):
    values = world["sides"]["own" if side == "-" else side]
    url = case.url.format(**values)
    data = case.data(dict(values, me=role)) if callable(case.data) else dict(case.data or {})
    if case.upload:
        data = {"photos": (io.BytesIO(samples.jpeg(64, 48)), "x.jpg")}
    call = getattr(client, case.method.lower())
    response = call(url, data=data if case.method == "POST" else None, headers=case.headers)
    response.close()
    if case.endpoint == "auth.logout_everywhere" and role != ANON:  # every session ended: back in for the rest
        assert client.post("/login", data={"username": f"me-{role}", "password": PASSWORD}).status_code == 303
    return url, response.status_code


@pytest.mark.parametrize("role", ALL)
def test_rights_matrix(app, client, db, specs, role):
    world = build_world(app, db, specs)
    if role != ANON:
        r = client.post("/login", data={"username": f"me-{role}", "password": PASSWORD})
        assert r.status_code == 303
    wrong, gaps_seen = [], set()
    for case in MATRIX:
        for side in case.sides:
            expected = case.expect(role, side)
            url, got = _request(client, case, world, side, role)
            key = (case.endpoint, case.method)
            if got != expected and key in KNOWN_GAPS:
                gaps_seen.add(key)
            elif got != expected:
                wrong.append(f"{case.name} as {role} ({side}) {url}: expected {expected}, got {got}")
    closed = [f"{e} {m}" for (e, m), (shown_by, _why) in KNOWN_GAPS.items()
              if shown_by == role and (e, m) not in gaps_seen]
    assert not wrong, "\n".join(wrong)
    assert not closed, f"fixed now: remove from KNOWN_GAPS in tests/test_rights_matrix.py: {closed}"


# ---------------------------------------------------------------- completeness

def _rules(app) -> set[tuple[str, str, str]]:
    return {(r.endpoint, m, r.rule) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def pending_rules(app) -> list[str]:
    """Rules of the pending areas that the matrix does not list yet (for the lead's report)."""
    listed = {(c.endpoint, c.method) for c in MATRIX}
    return sorted(f"{m} {rule} ({e})" for e, m, rule in _rules(app)
                  if (e, m) not in listed and rule.startswith(PENDING_PREFIXES))


def test_every_route_is_in_the_matrix(app, capsys):
    listed = {(c.endpoint, c.method) for c in MATRIX}
    missing = sorted(f"{m} {rule} ({e})" for e, m, rule in _rules(app)
                     if (e, m) not in listed and not rule.startswith(PENDING_PREFIXES))
    assert not missing, "routes missing from tests/test_rights_matrix.py MATRIX:\n" + "\n".join(missing)
    existing = {(e, m) for e, m, _ in _rules(app)}
    stale = sorted(f"{m} {e}" for e, m in listed - existing)
    assert not stale, "MATRIX lists routes that no longer exist:\n" + "\n".join(stale)
    with capsys.disabled():
        waiting = pending_rules(app)
        if waiting:
            print(f"\n[rights matrix] {len(waiting)} rules of pending areas not yet in MATRIX: " + "; ".join(waiting))


def test_every_role_is_placed_and_every_purpose_has_a_checklist():
    assert set(HOME) == set(ROLES) and set(CHECKLIST_OF) == set(PURPOSES)
    assert all(level in ("village", "township", "county", "city") for level in HOME.values())
    for role, level in users.ROLE_LEVELS.items():
        assert HOME[role] == level, role



# ---------------------------------------------------------------- in-service members' ledger and service projects
# (issue 17; web/ledger.py, web/service_projects.py). Appended as one block: the cases go in before "sign out".

def ledger_index(role: str, side: str) -> int:
    """The ledger's start page: a community worker with one community goes straight to it (302)."""
    if role == ANON:
        return REDIRECT_TO_LOGIN
    if role not in rights.ACTIONS["ledger_view"]:
        return 403
    return 302 if role == "village" else 200


LEDGER_CASES = [
    Case("ledger.index", "GET", "/ledger/", ledger_index, sides=("-",)),
    Case("ledger.community", "GET", "/ledger/sites/{lg_site}", action("ledger_view", 200)),
    Case("ledger.new_member", "GET", "/ledger/sites/{lg_site}/members/new", both("ledger_view", "ledger_edit", 200)),
    Case("ledger.new_member", "POST", "/ledger/sites/{lg_site}/members/new", both("ledger_view", "ledger_edit", 422)),
    Case("ledger.member", "GET", "/ledger/members/{lg_member}", action("ledger_view", 200)),
    Case("ledger.add_activity", "POST", "/ledger/members/{lg_member}/activities",
         both("ledger_view", "ledger_edit", 422)),
    Case("ledger.report", "POST", "/ledger/members/{lg_member}/report", both("ledger_view", "ledger_edit", 422)),
    Case("ledger.activity_photo", "GET", "/ledger/activities/{lg_activity}/photo/thumb", action("ledger_view", 200)),
    Case("ledger.edit_member", "GET", "/ledger/members/{lg_member}/edit", both("ledger_view", "ledger_edit", 200)),
    Case("ledger.edit_member", "POST", "/ledger/members/{lg_member}/edit", both("ledger_view", "ledger_edit", 422)),
    Case("ledger.import_template", "GET", "/ledger/import/template.xlsx", action("ledger_import", 200),
         sides=("-",)),
    Case("ledger.import_members", "GET", "/ledger/import", action("ledger_import", 200), sides=("-",)),
    Case("ledger.import_members", "POST", "/ledger/import", action("ledger_import", 422), sides=("-",)),  # no file
    Case("jobs.import_members", "POST", "/jobs/import-members", action("ledger_import", 422), sides=("-",)),  # no file
    Case("ledger.feedback", "GET", "/ledger/sites/{lg_site}/feedback", action("ledger_view", 200)),
    Case("ledger.send_feedback", "POST", "/ledger/sites/{lg_site}/feedback", both("ledger_view", "ledger_edit", 422)),
    Case("ledger.feedback_pdf", "GET", "/ledger/feedback/{lg_feedback}.pdf?html=1", action("ledger_view", 200)),
    Case("ledger.card_pdf", "GET", "/ledger/members/{lg_member}/cards/info.pdf?html=1", action("ledger_view", 200)),
    Case("ledger.summary", "GET", "/ledger/summary", action("ledger_summary", 200), sides=("-",)),
    Case("ledger.summary_xlsx", "GET", "/ledger/summary.xlsx", action("ledger_summary", 200), sides=("-",)),
    Case("ledger.summary_pdf", "GET", "/ledger/summary/service.pdf?html=1", action("ledger_summary", 200),
         sides=("-",)),
    Case("ledger.inspection", "GET", "/ledger/inspections/{lg_inspection}", action("ledger_all", 200)),
    Case("ledger.decide", "POST", "/ledger/inspections/{lg_inspection}/items/sl-service-post",
         both("ledger_all", "ledger_confirm", 422), data={"decision": "override", "value": "pass"}),  # no note
    Case("projects.index", "GET", "/projects/", action("projects_view", 200), sides=("-",)),
    Case("projects.new", "GET", "/projects/new", action("projects_edit", 200), sides=("-",)),
    Case("projects.new", "POST", "/projects/new", action("projects_edit", 422), sides=("-",)),
    Case("projects.detail", "GET", "/projects/{sp_running}", action("projects_view", 200)),
    Case("projects.design", "POST", "/projects/{sp_surveyed}/design", both("projects_view", "projects_edit", 422)),
    Case("projects.review", "POST", "/projects/{sp_designed}/review", both("projects_view", "projects_review", 422)),
    Case("projects.notice", "POST", "/projects/{sp_approved}/notice", both("projects_view", "projects_edit", 422),
         data={"working_days": "3"}),
    Case("projects.add_activity", "POST", "/projects/{sp_running}/activities",
         both("projects_view", "projects_edit", 422)),
    Case("projects.summarize", "POST", "/projects/{sp_running}/summary", both("projects_view", "projects_edit", 422)),
    Case("projects.apply", "POST", "/projects/{sp_running}/apply", both("projects_view", "projects_edit", 409)),
    Case("projects.site_visit", "POST", "/projects/{sp_running}/site-visit",
         role_in(lambda: rights.ACTIONS["projects_view"] & rights.START["inspection"], 409)),  # not applied yet
    Case("projects.evaluate", "POST", "/projects/{sp_applied}/evaluate",
         both("projects_view", "projects_evaluate", 422)),
    Case("projects.summary_pdf", "GET", "/projects/{sp_summarized}/summary.pdf?html=1", action("projects_view", 200)),
    Case("projects.photo", "GET", "/projects/activities/{sp_activity}/photos/0/thumb", action("projects_view", 200)),
    Case("projects.library", "GET", "/projects/library", action("projects_view", 200), sides=("-",)),
    Case("projects.fill_rota", "POST", "/projects/rota", action("projects_evaluate", 422), sides=("-",)),
]
MATRIX[-1:-1] = LEDGER_CASES


def _ledger_records(app, db, specs, *, village, staff, author) -> dict:
    """A community center in the village region with a member, an activity with a photo, a feedback
    letter and a ledger inspection; service projects at each status, one with an activity and photo."""
    from inspector.models import (LedgerActivity, LedgerFeedback, LedgerMember, LedgerUnit, ServiceProject,
                                  ServiceProjectActivity)
    media = Path(app.config["MEDIA_DIR"])
    site = factories.site(db, village, name=f"{village.name}社区党群服务中心", site_type="community")
    county = db.get(type(village), db.get(type(village), village.parent_id).parent_id)
    unit = LedgerUnit(county_id=county.id, name=f"{county.name}财政局", county_department=True)
    db.add(unit)
    db.flush()
    m = LedgerMember(site_id=site.id, unit_id=unit.id, name="王明", phone="13905160001", service_post="政策宣讲",
                     reported_on=date(2026, 4, 1), created_by_id=staff["village"].id)
    db.add(m)
    db.flush()
    rel = f"ledger/{village.code}/thumb.jpg"
    (media / rel).parent.mkdir(parents=True, exist_ok=True)
    (media / rel).write_bytes(samples.jpeg(64, 48))
    photo = {"display": rel, "thumb": rel, "original": rel, "sha256": "0" * 64}
    act = LedgerActivity(member_id=m.id, on=date(2026, 5, 1), minutes=120, kind="post_service", photo=photo,
                         recorded_by_id=staff["village"].id)
    letter = LedgerFeedback(site_id=site.id, unit_id=unit.id, year=2026, quarter=1, sent_on=date(2026, 4, 2),
                            content={"site": site.name, "township": "", "unit": unit.name, "party_org": "",
                                     "supervisor_org": "", "year": 2026, "quarter": 1, "as_of": "2026-04-02",
                                     "members": []}, by_id=staff["village"].id)
    version = checklists.ensure_version(session=db, spec=specs["service-ledger"])
    ins = Inspection(site_id=site.id, checklist_version_id=version.id, purpose="inspection", status="draft",
                     created_by_id=author.id)
    db.add_all([act, letter, ins])
    out = {"lg_site": site.id, "lg_member": m.id}
    for status in ("surveyed", "designed", "approved", "running", "summarized", "applied"):
        p = ServiceProject(region_id=village.id, site_id=site.id, level="community", year=2026, name=f"项目{status}",
                           survey_source="网格员入户走访", survey_summary="需求", design="设计", fixed_place=False,
                           status=status, created_by_id=staff["village"].id,
                           summary={"name": "项目", "level": "社区", "place": site.name, "overview": "概况",
                                    "implementation": "实施", "activities": [], "results": "成果", "on": "2026-05-01"}
                           if status == "summarized" else None)
        db.add(p)
        db.flush()
        out[f"sp_{status}"] = p.id
    sp_act = ServiceProjectActivity(project_id=out["sp_running"], on=date(2026, 5, 1), place="社区广场", participants=9,
                                    photos=[photo], by_id=staff["village"].id)
    db.add(sp_act)
    db.flush()
    out.update(lg_activity=act.id, lg_feedback=letter.id, lg_inspection=ins.id, sp_activity=sp_act.id, lg_unit=unit.id)
    return out


HOME["unit"] = "county"  # a unit (department) account sits at its county and reads only its unit's members


def _link_ledger_unit(db, me, sides) -> None:
    """The own side's unit account speaks for the unit of the ledger records built there."""
    from inspector.models import UnitUser
    db.add(UnitUser(user_id=me["unit"].id, unit_id=sides["own"]["lg_unit"]))
    db.flush()
