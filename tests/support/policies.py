"""Policies, tags and firm qualifications through the real services: make_policy(actor, …), make_tag(…),
give_profile(firm, quals={…}, tags=[…])."""

import itertools
from datetime import date
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, FirmQualification, Policy, Tag, User
from crm.services.policies.library import create_policy
from tests.support.dates import TODAY

_seq = itertools.count(1)


def make_tag(name: str, active: bool = True) -> Tag:
    tag = Tag(name=name, is_active=active)
    db.session.add(tag)
    db.session.flush()
    return tag


def give_profile(
    firm: Enterprise, quals: Optional[dict[str, Optional[int]]] = None, tags: tuple[Tag, ...] = ()
) -> Enterprise:
    """Set a firm's qualifications ({code: year}) and tags directly (the registry's rules: elsewhere)."""
    for code, year in (quals or {}).items():
        firm.qualifications.append(FirmQualification(code=code, year=year))
    firm.tags.extend(tags)
    db.session.flush()
    return firm


def policy_data(**overrides: Any) -> dict[str, Any]:
    """A valid policy form's data; conditions default to none."""
    data: dict[str, Any] = {
        "title": "高新技术企业认定奖励",
        "issuer": "湘潭市科学技术局",
        "level": "city",
        "doc_no": None,
        "summary": "对首次认定的高新技术企业给予一次性奖励。",
        "benefit_kind": "fund",
        "max_amount": "20",
        "contact": "科技局 张科长 0731-58880000",
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "apply_from": date(2026, 10, 1),
        "apply_to": date(2026, 11, 30),
    }
    data.update(overrides)
    return data


def make_policy(actor: User, publish: bool = True, today: date = TODAY, **overrides: Any) -> Policy:
    """A policy entered (and by default published) by actor through create_policy."""
    overrides.setdefault("title", f"测试政策{next(_seq)}")
    return create_policy(actor, policy_data(**overrides), today, publish=publish)
