"""Database tables (SQLModel). Portable: every column works on SQLite and PostgreSQL.

One module per area (written by split_models.py); every public name is imported here, so
`from inspector.models import X` works and importing the package registers every table."""

from .base import (LABELS, PURPOSES, REGION_LEVELS, ROLES, ROLE_LABELS, SITE_TYPES, SITE_TYPE_LABELS,
                   STATUSES, utcnow)
from .regions import Region, Site, SiteBase
from .accounts import AuthSession, LoginAttempt, UnitUser, User
from .inspections import Answer, ChecklistVersion, Inspection, RectificationTask, ReturnReason, SignOff
from .photos import Photo
from .reports import Report, ReportSequence
from .audit import AuditLog, Notification
from .notices import Notice, Objection
from .programs import ProgramStep
from .landmark import RedLandmarkApplication
from .micro import FundCommitment, FundMember, MicroProject
from .calendar import CalendarYear, DeadlineChange
from .ledger import LedgerActivity, LedgerFeedback, LedgerItemCheck, LedgerMember, LedgerUnit
from .service_projects import ProjectRota, ServiceProject, ServiceProjectActivity
from .jobs import Job
from .summaries import RegionSummary, SiteFailed, SiteSummary

__all__ = ["Answer", "AuditLog", "AuthSession", "CalendarYear", "ChecklistVersion", "DeadlineChange",
           "FundCommitment", "FundMember", "Inspection", "Job", "LABELS", "LedgerActivity", "LedgerFeedback",
           "LedgerItemCheck", "LedgerMember", "LedgerUnit", "LoginAttempt", "MicroProject", "Notice",
           "Notification", "Objection", "PURPOSES", "Photo", "ProgramStep", "ProjectRota", "REGION_LEVELS",
           "ROLES", "ROLE_LABELS", "RectificationTask", "RedLandmarkApplication", "Region", "RegionSummary",
           "Report", "ReportSequence", "ReturnReason", "SITE_TYPES", "SITE_TYPE_LABELS", "STATUSES",
           "ServiceProject", "ServiceProjectActivity", "SignOff", "Site", "SiteBase", "SiteFailed",
           "SiteSummary", "UnitUser", "User", "utcnow"]
