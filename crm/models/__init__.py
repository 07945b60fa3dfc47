"""Domain models, one module per aggregate."""
from crm.models.audit import AuditLog
from crm.models.enterprise import Assignment, Enterprise, Handover
from crm.models.lists import ProductItem, SalesItem, TechItem
from crm.models.org import Department, IndustryChain, Park
from crm.models.problem import Problem
from crm.models.settings import ParkSetting
from crm.models.user import User
from crm.models.visit import Attachment, Visit

__all__ = [
    "AuditLog", "Assignment", "Attachment", "Department", "Enterprise", "Handover", "IndustryChain",
    "ParkSetting", "Park", "Problem", "ProductItem", "SalesItem", "TechItem", "User", "Visit",
]
