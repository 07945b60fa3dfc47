"""Domain models, one module per aggregate."""

from crm.models.audit import AuditLog
from crm.models.calendar import CalendarDay, CalendarYear
from crm.models.enterprise import Assignment, Enterprise, Handover
from crm.models.imports import ImportTask
from crm.models.lists import ProductItem, SalesItem, TechItem
from crm.models.notification import Delivery, DeliveryAttempt, JobRun, Notification, NotificationPref
from crm.models.org import Department, IndustryChain, Park
from crm.models.problem import Problem, ProblemEvent
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
    "Delivery",
    "DeliveryAttempt",
    "Department",
    "Enterprise",
    "FirmVisitSummary",
    "GeneratedReport",
    "Handover",
    "ImportTask",
    "IndustryChain",
    "JobRun",
    "LoginFailure",
    "Notification",
    "NotificationPref",
    "Park",
    "ParkSetting",
    "Problem",
    "ProblemEvent",
    "ProductItem",
    "SalesItem",
    "Setting",
    "StoredFile",
    "StoredFileChunk",
    "TechItem",
    "User",
    "Visit",
]
