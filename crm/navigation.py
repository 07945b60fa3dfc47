"""The main menu: one list, filtered by the permissions module."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user

from crm.permissions import can


@dataclass
class NavItem:
    label: str
    endpoint: str
    prefixes: tuple[str, ...]
    url: str

    def active(self, endpoint: str) -> bool:
        return endpoint == self.endpoint or any(endpoint.startswith(p) for p in self.prefixes)

    @property
    def css(self) -> str:
        """Desk pages reached on phones from the problem pages' own tabs stay out of the phone menu."""
        return "d-none d-xl-block" if self.endpoint in DESKTOP_ONLY else ""


@dataclass
class NavGroup:
    """Entries shown under one dropdown of the menu (only when more than one of them is visible)."""

    label: str
    items: list[NavItem]

    def active(self, endpoint: str) -> bool:
        return any(item.active(endpoint) for item in self.items)

    @property
    def css(self) -> str:
        """Hidden on phones when every entry is (DESKTOP_ONLY)."""
        return "d-none d-xl-block" if all(item.css for item in self.items) else ""


# Menu entries gathered under a dropdown, so that the office's and the admin's menus stay on one line.
GROUPS = {
    "problems.index": "问题",
    "problems.board": "问题",
    "problems.escalations": "问题",
    "assignments.handovers": "管理",
    "imports.index": "管理",
    "admin.users": "管理",
    "admin.reference": "管理",
}

# An entry's label inside its dropdown, where the menu label alone would repeat the group's.
LABELS_IN_GROUP = {"problems.index": "问题清单"}

# Kept out of the collapsed phone menu to keep it short (crm/templates/problems/_subnav.html links them).
DESKTOP_ONLY = {"problems.board", "problems.escalations"}


# The admin's 基础数据 pages (parks, chains, departments); the other admin pages sit under 用户管理.
REFERENCE_PAGES = ("admin.reference", "admin.park_", "admin.chain_", "admin.department_")

# (label, endpoint, url kwargs factory, visible-if, active prefixes)
MENU: list[tuple[str, str, Callable[[], dict], Callable[[], bool], tuple[str, ...]]] = [
    ("首页", "main.index", dict, lambda: True, ()),
    ("企业档案", "enterprises.index", dict, lambda: can(current_user, "enterprise.view"), ("enterprises.",)),
    ("走访记录", "visits.index", dict, lambda: can(current_user, "visit.view"), ("visits.",)),
    ("待办", "problems.inbox", dict, lambda: can(current_user, "problem.inbox"), ()),
    ("问题", "problems.index", dict, lambda: can(current_user, "problem.view"), ("problems.detail",)),
    ("交办台", "problems.board", dict, lambda: can(current_user, "problem.board"), ()),
    ("升级协调", "problems.escalations", dict, lambda: can(current_user, "problem.escalations"), ()),
    (
        "我的企业",
        "assignments.caseload",
        lambda: {"user_id": current_user.id},
        lambda: current_user.role == "cadre",
        (),
    ),
    (
        "联企干部",
        "assignments.cadres",
        dict,
        lambda: can(current_user, "cadre.caseload") and current_user.role != "cadre",
        ("assignments.caseload",),
    ),
    ("走访覆盖", "coverage.index", dict, lambda: can(current_user, "coverage.view"), ("coverage.",)),
    (
        "惠企政策",
        "policies.index",
        dict,
        lambda: can(current_user, "policy.view"),
        ("policies.index", "policies.detail", "policies.create", "policies.edit", "policies.import"),
    ),
    ("知识库", "knowledge.cases", dict, lambda: can(current_user, "case.view"), ("knowledge.",)),
    ("报表", "reports.index", dict, lambda: can(current_user, "report.view"), ("reports.",)),
    ("企业之声", "firm_voice.index", dict, lambda: can(current_user, "firm_voice.view"), ("firm_voice.",)),
    (
        "交接",
        "assignments.handovers",
        dict,
        lambda: can(current_user, "handover.view"),
        ("assignments.handover",),
    ),
    ("导入", "imports.index", dict, lambda: can(current_user, "enterprise.import"), ("imports.",)),
    (
        "用户管理",
        "admin.users",
        dict,
        lambda: can(current_user, "user.manage"),
        ("admin.user", "admin.calendar", "admin.rules", "policies.tag"),
    ),
    ("基础数据", "admin.reference", dict, lambda: can(current_user, "reference.manage"), REFERENCE_PAGES),
]


def nav_items() -> list[NavItem | NavGroup]:
    """Menu entries the current user may use, skipping areas not registered in this app; entries of a
    group (GROUPS) sit under one dropdown at the place of its first entry, or alone if only one shows."""
    entries: list[NavItem | NavGroup] = []
    groups: dict[str, NavGroup] = {}
    for label, endpoint, kwargs, visible, prefixes in MENU:
        if endpoint not in current_app.view_functions or not visible():
            continue
        item = NavItem(label, endpoint, prefixes, url_for(endpoint, **kwargs()))
        name = GROUPS.get(endpoint)
        if name is None:
            entries.append(item)
        elif name in groups:
            groups[name].items.append(item)
        else:
            groups[name] = NavGroup(name, [item])
            entries.append(groups[name])
    for group in groups.values():
        if len(group.items) > 1:
            for item in group.items:
                item.label = LABELS_IN_GROUP.get(item.endpoint, item.label)
    return [e.items[0] if isinstance(e, NavGroup) and len(e.items) == 1 else e for e in entries]
