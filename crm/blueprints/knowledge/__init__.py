"""知识 pages: similar past problems while one is typed, the 典型案例库, 共性问题 with their 专班, and the
monthly 热点分析."""

from crm.blueprints.knowledge import cases, groups, hotspots, similar  # noqa: F401 -- registers the routes
from crm.blueprints.knowledge.blueprint import bp

__all__ = ["bp"]
