"""Domain models, one module per aggregate."""

from crm.models.audit import AuditLog
from crm.models.enterprise import Assignment, Enterprise, Handover
from crm.models.org import Department, IndustryChain, Park
from crm.models.user import User

__all__ = ["AuditLog", "Assignment", "Department", "Enterprise", "Handover", "IndustryChain", "Park", "User"]
