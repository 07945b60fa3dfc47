"""The firm page's 典型案例: on 提交诉求, the park's solved cases of each category (a small script shows
those of the category picked; without it they are listed folded by category); on the home page, a few
cases of the categories of the firm's own problems. Public fields only
(crm.services.knowledge.case_public)."""

from crm.blueprints.firm_portal.blueprint import bp
from crm.models import Enterprise
from crm.services.knowledge.case_public import PublicCase, cases_for_firm, cases_like_firms_own

HOME_LIMIT = 3  # the home page stays short: its first job is 提交诉求 and 我的诉求


def submit_cases(firm: Enterprise) -> dict[str, list[PublicCase]]:
    """Every category's newest cases of the firm's park (at most five each), for the 提交诉求 page."""
    return cases_for_firm(firm)


def home_cases(firm: Enterprise) -> list[PublicCase]:
    """类似问题的解决案例 for the firm's home page."""
    return cases_like_firms_own(firm, limit=HOME_LIMIT)


bp.add_app_template_global(submit_cases, "portal_submit_cases")
bp.add_app_template_global(home_cases, "portal_home_cases")
