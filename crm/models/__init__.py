"""Domain models, one module per aggregate."""

from crm.models.audit import AuditLog
from crm.models.calendar import CalendarDay, CalendarYear
from crm.models.enterprise import Assignment, Enterprise, Handover
from crm.models.evidence import FirmLocation, VisitLocation
from crm.models.figures import FigureVersion, ParkFigures
from crm.models.imports import ImportTask
from crm.models.knowledge import CommonIssue, CommonIssueEvent, TypicalCase
from crm.models.lists import ProductItem, SalesItem, TechItem
from crm.models.month_close import MonthClose, MonthSnapshotRow
from crm.models.notification import Delivery, DeliveryAttempt, JobRun, Notification, NotificationPref
from crm.models.org import Department, IndustryChain, Park
from crm.models.policy import Policy, PolicyEvent, PolicyMatch, PolicyQualification, PolicySize
from crm.models.portal import (
    CallbackCheck,
    CallbackDraw,
    PortalHit,
    PortalSetting,
    ServiceCode,
    Withdrawal,
)
from crm.models.problem import Problem, ProblemEvent, ProblemRuleSet
from crm.models.profile import FirmQualification, Tag
from crm.models.report import GeneratedReport
from crm.models.settings import ParkSetting, Setting
from crm.models.storage import StoredFile, StoredFileChunk
from crm.models.user import LoginFailure, User
from crm.models.visit import Attachment, FirmVisitSummary, Visit

__all__ = [
    "Assignment",
    "Attachment",
    "AuditLog",
    "CalendarDay",
    "CalendarYear",
    "CallbackCheck",
    "CallbackDraw",
    "CommonIssue",
    "CommonIssueEvent",
    "Delivery",
    "DeliveryAttempt",
    "Department",
    "Enterprise",
    "FigureVersion",
    "FirmLocation",
    "FirmQualification",
    "FirmVisitSummary",
    "GeneratedReport",
    "Handover",
    "ImportTask",
    "IndustryChain",
    "JobRun",
    "LoginFailure",
    "MonthClose",
    "MonthSnapshotRow",
    "Notification",
    "NotificationPref",
    "Park",
    "ParkFigures",
    "ParkSetting",
    "Policy",
    "PolicyEvent",
    "PolicyMatch",
    "PolicyQualification",
    "PolicySize",
    "PortalHit",
    "PortalSetting",
    "Problem",
    "ProblemEvent",
    "ProblemRuleSet",
    "ProductItem",
    "SalesItem",
    "ServiceCode",
    "Setting",
    "StoredFile",
    "StoredFileChunk",
    "Tag",
    "TechItem",
    "TypicalCase",
    "User",
    "Visit",
    "VisitLocation",
    "Withdrawal",
]
