"""The roles allowed each action, before scope: the table can() reads (crm.permissions)."""

from crm.models.problem_workflow import WORKFLOW

# action -> roles allowed (before scope). Object scope is checked separately by can().
ACTION_ROLES: dict[str, set[str]] = {
    "enterprise.view": {"admin", "officer", "leader", "cadre", "handler"},
    "enterprise.create": {"admin", "officer"},
    "enterprise.edit": {"admin", "officer"},
    "enterprise.assign": {"admin", "officer"},
    "enterprise.export": {"admin", "officer", "leader", "cadre"},
    "enterprise.import": {"admin", "officer"},
    "enterprise.audit": {"admin", "officer", "leader"},
    "cadre.caseload": {"admin", "officer", "leader", "cadre"},
    "handover.manage": {"admin", "officer"},
    "handover.view": {"admin", "officer", "leader"},
    "dashboard.officer": {"admin", "officer", "leader"},
    "user.manage": {"admin"},
    # Parks, departments (and their heads) and industry chains.
    "reference.manage": {"admin"},
    # Visits and the four lists. Handlers read a firm's lists but never its visit log.
    "visit.view": {"admin", "officer", "leader", "cadre"},
    "visit.log": {"admin", "officer", "cadre"},
    "visit.edit": {"admin", "officer", "cadre"},
    "visit.export": {"admin", "officer", "leader", "cadre"},
    # 现场佐证: a visit's location is the cadre's personal data, seen only by that cadre and the park's
    # own officers and leaders (_may_see_location); officers review check-ins and place firms.
    "visit.location": {"officer", "leader", "cadre"},
    "visit.review": {"officer"},
    "firm.location": {"admin", "officer", "leader", "cadre"},
    "firm.locate": {"admin", "officer"},
    "lists.view": {"admin", "officer", "leader", "cadre", "handler"},
    "lists.edit": {"admin", "officer", "cadre"},
    # A firm's problem counts over all departments (清单变化); handlers see only their department's problems.
    "lists.problem_totals": {"admin", "officer", "leader", "cadre"},
    "problem.raise": {"admin", "officer", "cadre"},
    "attachment.view": {"admin", "officer", "leader", "cadre"},
    "coverage.view": {"admin", "officer", "leader"},
    "settings.cadence": {"admin", "officer"},
    # Problems. Object checks: see _may_act_on_problem.
    "problem.view": {"admin", "officer", "leader", "cadre", "handler"},
    "problem.export": {"admin", "officer", "leader", "cadre", "handler"},
    "problem.inbox": {"handler"},
    "problem.board": {"admin", "officer"},
    "problem.escalations": {"admin", "officer", "leader"},
    # The workflow's steps (problem.dispatch, problem.accept …), from its one declaration.
    **{step.right: set(step.roles) for step in WORKFLOW.values()},
    "problem.attach": {"admin", "officer", "cadre", "handler"},
    "settings.problems": {"admin"},
    "calendar.manage": {"admin"},
    # 提醒: everyone reads their own notifications; admins see job runs and set the channels.
    "notification.view": {"admin", "officer", "leader", "cadre", "handler"},
    "jobs.view": {"admin"},
    "settings.channels": {"admin"},
    # 报表: officers for their park; city-wide leaders and admins for one park or all parks.
    "report.view": {"admin", "officer", "leader"},
    "report.generate": {"admin", "officer", "leader"},
    # 企业之声: service codes (cadres print their firms' cards), 撤单质检 and 回访抽查 (the park office).
    "service_code.view": {"admin", "officer", "leader", "cadre"},
    "service_code.manage": {"admin", "officer"},
    "firm_voice.view": {"admin", "officer", "leader"},
    "withdrawal.view": {"admin", "officer", "leader"},
    "callback.view": {"admin", "officer", "leader"},
    "callback.record": {"admin", "officer"},
    "callback.settings": {"admin", "officer"},
    # 月结: closing a month, reopening it (重新结账) and setting the close day are the admins'.
    "month.close": {"admin"},
    "month.reopen": {"admin"},
    # 惠企政策: the library (a park's office keeps its park's policies, admins the city-wide ones), the
    # steps on a firm–policy pair (the firm's cadre and its park's office), the managed tag list.
    "policy.view": {"admin", "officer", "leader", "cadre"},
    "policy.manage": {"admin", "officer"},
    "policy.deliver": {"admin", "officer", "cadre"},
    "tag.manage": {"admin"},
    # 知识: similar past problems while one is typed (those who raise problems), the 典型案例库 (read by
    # everyone in the park, kept by its office), 共性问题 (confirmed and closed by the office; progress by
    # the 专班: its department's handlers or its leader, see crm.permissions.knowledge), 热点分析.
    "problem.similar": {"admin", "officer", "cadre"},
    "case.view": {"admin", "officer", "leader", "cadre", "handler"},
    "case.manage": {"admin", "officer"},
    "case.export": {"admin", "officer", "leader"},
    "common_issue.view": {"admin", "officer", "leader", "cadre", "handler"},
    "common_issue.manage": {"admin", "officer"},
    "common_issue.progress": {"admin", "officer", "leader", "handler"},
    "hotspot.view": {"admin", "officer", "leader"},
}
