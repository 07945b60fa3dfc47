"""Every route × every method × every role, anonymous included. The matrix is checked against
app.url_map (endpoint and method) so no route can escape it: a route added tomorrow fails the suite
until it has rows here. Feature modules test more (real objects in every state, own vs others), but
every route has its rows in this one table.

Expected values: an int status, "ok" (200, or a redirect that is not to the login page),
or "login" (redirect to the login page).
"""

import pytest

from crm import create_app
from crm.extensions import db
from crm.models import TypicalCase
from crm.services.knowledge.cases import promote_problem
from crm.services.portal.codes import issue_service_code, token_of
from tests.support.policies import make_policy, make_tag
from tests.support.problems import make_problem

ROLES = ["anon", "admin", "leader", "officer", "officer_b", "cadre", "handler"]
EVERYONE = dict.fromkeys(ROLES, "ok")  # public: static files and the login page


def expect(default, **overrides):
    out = {"anon": "login"} | dict.fromkeys(ROLES[1:], default)
    out.update(overrides)
    return out


# lists.edit / problem.raise: the firm's cadre and its park's officers (leaders and handlers only read).
LISTS_OWN = expect(403, admin="ok", officer="ok", officer_b=404, cadre="ok")
LISTS_OTHER = expect(403, admin="ok", officer="ok", officer_b=404, cadre=404)
LISTS_FOREIGN = expect(403, admin="ok", officer=404, officer_b="ok", cadre=404, handler=404)
# An item id of {own} under another firm's URL is not found, even for those who may edit that firm.
ITEM_OF_OTHER_FIRM = expect(404, leader=403, handler=403)
# The same under a park-B firm: out of scope for park A's people, not found for those who may edit it.
LISTS_FOREIGN_ITEM = expect(404, leader=403)


# visit.log / visit.edit: the firm's cadre (the author, within the correction window) and its park's officers.
VISIT_LOG_OWN = expect(403, admin="ok", officer="ok", officer_b=404, cadre="ok")
VISIT_LOG_OTHER = expect(403, admin="ok", officer="ok", officer_b=404, cadre=404)
VISIT_LOG_FOREIGN = expect(403, admin="ok", officer=404, officer_b="ok", cadre=404, handler=404)


# firm.locate: the park's officers and admins; visit.review: the park's officers only.
VISIT_PLACE = expect(403, admin="ok", officer="ok", officer_b=404)
VISIT_REVIEW = expect(403, officer="ok", officer_b=404)
VISIT_LOGGERS = expect(403, admin="ok", officer="ok", officer_b="ok", cadre="ok")


IMPORTERS = expect(403, admin="ok", officer="ok", officer_b="ok")
IMPORTERS_UNKNOWN = expect(403, admin=404, officer=404, officer_b=404)
ADMIN_ONLY = expect(403, admin="ok")
# A park's policy: its office keeps it (admins any); other parks do not see it, handlers see no policy.
POLICY_MANAGE = expect(403, admin="ok", officer="ok", officer_b=404, handler=404)
POLICY_STEP_OWN = expect(403, admin="ok", officer="ok", officer_b=404, cadre="ok", handler=404)
POLICY_STEP_OTHER = expect(403, admin="ok", officer="ok", officer_b=404, cadre=404, handler=404)
# case.manage on a case (or a closed problem) of park A: its office and admins; park B's office: not found.
CASE_MANAGE = expect(403, admin="ok", officer="ok", officer_b=404)
CASE_EXPORT = expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok")


# (endpoint, method, url template, expectations). {own} = cadre's firm in park A, {other} = another
# cadre's firm in park A, {foreign} = a park-B firm, {cadre} = cadre_a's id, {cadre_b} = cadre_b's id.
CASES = [
    ("static", "GET", "/static/css/app.css", EVERYONE),
    ("bootstrap.static", "GET", "/bootstrap/static/css/bootstrap.min.css", EVERYONE),
    ("auth.login", "GET", "/login", EVERYONE),  # signed-in users are sent on to their home page
    ("auth.login", "POST", "/login", EVERYONE),
    ("main.index", "GET", "/", expect("ok")),
    ("auth.logout", "POST", "/logout", expect(302)),
    ("auth.password", "GET", "/password", expect("ok")),
    ("auth.password", "POST", "/password", expect("ok")),
    ("auth.logout_others", "POST", "/logout-others", expect("ok")),  # 退出其他设备: back to /password
    ("enterprises.index", "GET", "/enterprises/", expect("ok")),
    ("enterprises.export", "GET", "/enterprises/export.xlsx", expect("ok", handler=403)),
    ("enterprises.create", "GET", "/enterprises/new", expect(403, admin="ok", officer="ok", officer_b="ok")),
    ("enterprises.create", "POST", "/enterprises/new", expect(403, admin="ok", officer="ok", officer_b="ok")),
    ("enterprises.detail", "GET", "/enterprises/{own}", expect("ok", officer_b=404)),
    ("enterprises.detail", "GET", "/enterprises/{other}", expect("ok", officer_b=404, cadre=404)),
    (
        "enterprises.detail",
        "GET",
        "/enterprises/{foreign}",
        expect("ok", officer=404, cadre=404, handler=404),
    ),
    (
        "enterprises.edit",
        "GET",
        "/enterprises/{own}/edit",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    (
        "enterprises.edit",
        "POST",
        "/enterprises/{other}/edit",
        expect(403, admin="ok", officer="ok", officer_b=404, cadre=404),
    ),
    (
        "enterprises.edit",
        "GET",
        "/enterprises/{foreign}/edit",
        expect(403, admin="ok", officer=404, officer_b="ok", cadre=404, handler=404),
    ),
    (
        "enterprises.assign",
        "GET",
        "/enterprises/{own}/assign",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    (
        "enterprises.assign",
        "POST",
        "/enterprises/{foreign}/assign",
        expect(403, admin="ok", officer=404, officer_b="ok", cadre=404, handler=404),
    ),
    (
        "enterprises.unassign",
        "POST",
        "/enterprises/{own}/unassign",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    # The four lists and raising a problem (lists.*): {product}/{sales}/{tech} are items of {own}.
    ("lists.product_new", "GET", "/enterprises/{own}/products/new", LISTS_OWN),
    ("lists.product_new", "POST", "/enterprises/{foreign}/products/new", LISTS_FOREIGN),
    ("lists.product_new", "GET", "/enterprises/{other}/products/new", LISTS_OTHER),
    ("lists.product_edit", "GET", "/enterprises/{own}/products/{product}/edit", LISTS_OWN),
    ("lists.product_edit", "POST", "/enterprises/{own}/products/{product}/edit", LISTS_OWN),
    ("lists.product_edit", "GET", "/enterprises/{other}/products/{product}/edit", ITEM_OF_OTHER_FIRM),
    ("lists.product_delete", "POST", "/enterprises/{own}/products/{product}/delete", LISTS_OWN),
    ("lists.product_delete", "POST", "/enterprises/{other}/products/{product}/delete", ITEM_OF_OTHER_FIRM),
    ("lists.product_retire", "GET", "/enterprises/{own}/products/{product}/retire", LISTS_OWN),
    ("lists.product_retire", "POST", "/enterprises/{own}/products/{product}/retire", LISTS_OWN),
    ("lists.product_retire", "GET", "/enterprises/{other}/products/{product}/retire", ITEM_OF_OTHER_FIRM),
    ("lists.product_retire", "POST", "/enterprises/{foreign}/products/{product}/retire", LISTS_FOREIGN_ITEM),
    ("lists.product_restore", "POST", "/enterprises/{own}/products/{product}/restore", LISTS_OWN),
    ("lists.product_restore", "POST", "/enterprises/{other}/products/{product}/restore", ITEM_OF_OTHER_FIRM),
    ("lists.sales_new", "GET", "/enterprises/{own}/sales/new", LISTS_OWN),
    ("lists.sales_new", "POST", "/enterprises/{foreign}/sales/new", LISTS_FOREIGN),
    ("lists.sales_edit", "GET", "/enterprises/{own}/sales/{sales}/edit", LISTS_OWN),
    ("lists.sales_edit", "POST", "/enterprises/{other}/sales/{sales}/edit", ITEM_OF_OTHER_FIRM),
    ("lists.sales_delete", "POST", "/enterprises/{own}/sales/{sales}/delete", LISTS_OWN),
    ("lists.tech_new", "GET", "/enterprises/{own}/tech/new", LISTS_OWN),
    ("lists.tech_new", "POST", "/enterprises/{foreign}/tech/new", LISTS_FOREIGN),
    ("lists.tech_edit", "GET", "/enterprises/{own}/tech/{tech}/edit", LISTS_OWN),
    ("lists.tech_edit", "POST", "/enterprises/{other}/tech/{tech}/edit", ITEM_OF_OTHER_FIRM),
    ("lists.tech_delete", "POST", "/enterprises/{own}/tech/{tech}/delete", LISTS_OWN),
    ("lists.tech_done", "POST", "/enterprises/{own}/tech/{tech}/done", LISTS_OWN),
    ("lists.tech_done", "POST", "/enterprises/{other}/tech/{tech}/done", ITEM_OF_OTHER_FIRM),
    ("lists.problem_new", "GET", "/enterprises/{own}/problems/new", LISTS_OWN),
    ("lists.problem_new", "POST", "/enterprises/{foreign}/problems/new", LISTS_FOREIGN),
    ("lists.problem_new", "GET", "/enterprises/{other}/problems/new", LISTS_OTHER),
    ("assignments.cadres", "GET", "/cadres/", expect("ok", handler=403)),
    ("assignments.caseload", "GET", "/cadres/{cadre}", expect("ok", officer_b=404, handler=403)),
    ("assignments.caseload", "GET", "/cadres/{cadre_b}", expect("ok", officer=404, cadre=404, handler=404)),
    # Exports of the 一企一人 pages: the same scope as the pages themselves.
    ("assignments.cadres_export", "GET", "/cadres/export.xlsx", expect("ok", handler=403)),
    (
        "assignments.caseload_export",
        "GET",
        "/cadres/{cadre}/export.xlsx",
        expect("ok", officer_b=404, handler=403),
    ),
    (
        "assignments.caseload_export",
        "GET",
        "/cadres/{cadre_b}/export.xlsx",
        expect("ok", officer=404, cadre=404, handler=404),
    ),
    (
        "assignments.handover_export",
        "GET",
        "/handovers/999999/export.xlsx",
        expect(404, cadre=403, handler=403),
    ),
    (
        "assignments.handovers",
        "GET",
        "/handovers/",
        expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok"),
    ),
    (
        "assignments.handover_new",
        "GET",
        "/handovers/new",
        expect(403, admin="ok", officer="ok", officer_b="ok"),
    ),
    (
        "assignments.handover_new",
        "POST",
        "/handovers/new",
        expect(403, admin="ok", officer="ok", officer_b="ok"),
    ),
    (
        "coverage.index",
        "GET",
        "/coverage/",
        expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok"),
    ),
    (
        "coverage.export",
        "GET",
        "/coverage/export.xlsx",
        expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok"),
    ),
    (
        "coverage.cadence_settings",
        "GET",
        "/settings/cadence",
        expect(403, admin="ok", officer="ok", officer_b="ok"),
    ),
    (
        "coverage.cadence_settings",
        "POST",
        "/settings/cadence",
        expect(403, admin="ok", officer="ok", officer_b="ok"),
    ),
    (
        "coverage.evidence_settings",
        "POST",
        "/settings/{park}/evidence",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    ("assignments.handover_detail", "GET", "/handovers/999999", expect(404, cadre=403, handler=403)),
    # Spreadsheet import (officers and admins); an unknown upload token is a 404 for them.
    ("imports.index", "GET", "/imports/", IMPORTERS),
    ("imports.index", "POST", "/imports/", IMPORTERS),
    ("imports.template", "GET", "/imports/template.xlsx", IMPORTERS),
    ("imports.preview", "GET", "/imports/" + "0" * 32, IMPORTERS_UNKNOWN),
    ("imports.commit", "POST", "/imports/" + "0" * 32 + "/commit", IMPORTERS_UNKNOWN),
    ("imports.errors", "GET", "/imports/" + "0" * 32 + "/errors.xlsx", IMPORTERS_UNKNOWN),
    ("imports.task", "GET", "/imports/tasks/999999", IMPORTERS_UNKNOWN),
    ("imports.task_errors", "GET", "/imports/tasks/999999/errors.xlsx", IMPORTERS_UNKNOWN),
    # The visit log: {visit} is cadre_a's visit to {own}, with {attachment}; {foreign_visit} is in park B.
    ("visits.index", "GET", "/visits/", expect("ok", handler=403)),
    ("visits.export", "GET", "/visits/export.xlsx", expect("ok", handler=403)),
    ("visits.create", "GET", "/enterprises/{own}/visits/new", VISIT_LOG_OWN),
    ("visits.create", "POST", "/enterprises/{own}/visits/new", VISIT_LOG_OWN),
    ("visits.create", "GET", "/enterprises/{other}/visits/new", VISIT_LOG_OTHER),
    ("visits.create", "POST", "/enterprises/{foreign}/visits/new", VISIT_LOG_FOREIGN),
    ("visits.detail", "GET", "/visits/{visit}", expect("ok", officer_b=404, handler=403)),
    ("visits.detail", "GET", "/visits/{foreign_visit}", expect("ok", officer=404, cadre=404, handler=404)),
    ("visits.edit", "GET", "/visits/{visit}/edit", VISIT_LOG_OWN),
    ("visits.edit", "POST", "/visits/{visit}/edit", VISIT_LOG_OWN),
    ("visits.edit", "GET", "/visits/{foreign_visit}/edit", VISIT_LOG_FOREIGN),
    ("visits.attachment", "GET", "/attachments/{attachment}", expect("ok", officer_b=404, handler=403)),
    ("visits.attachment", "GET", "/attachments/999999", expect(404)),
    # 现场核验 and firms' locations: the park's officers review; admins and officers place firms.
    ("visits.evidence_queue", "GET", "/visits/evidence", expect(403, officer="ok", officer_b="ok")),
    ("visits.evidence_confirm", "POST", "/visits/{visit}/evidence/confirm", VISIT_REVIEW),
    ("visits.evidence_review", "POST", "/visits/{visit}/evidence/verified", VISIT_REVIEW),
    ("visits.firm_location_edit", "GET", "/enterprises/{own}/location", VISIT_PLACE),
    ("visits.firm_location_edit", "POST", "/enterprises/{own}/location", VISIT_PLACE),
    # The field app: the installable shell is public; drafts, sync and the JSON endpoints need a session
    # and answer JSON (401 signed out; a sync of nothing is refused with 422).
    ("field.service_worker", "GET", "/sw.js", EVERYONE),
    ("field.manifest", "GET", "/manifest.webmanifest", EVERYONE),
    ("field.offline", "GET", "/offline", EVERYONE),
    ("field.drafts", "GET", "/visits/drafts", VISIT_LOGGERS),
    ("field.session_info", "GET", "/field/session", expect("ok", anon=401)),
    ("field.offline_forms", "GET", "/field/forms", expect("ok", anon=401, leader=403, handler=403)),
    ("field.sync", "POST", "/visits/sync", expect(422, anon=401, leader=403, handler=403)),
    # Problems. Rows on real problems in every state, with handlers of two departments, a
    # department head and both leader levels: tests/web/test_problem_matrix.py (same roles plus those).
    ("problems.index", "GET", "/problems/", expect("ok")),
    ("problems.export", "GET", "/problems/export.xlsx", expect("ok")),
    ("problems.inbox", "GET", "/problems/inbox", expect(403, handler="ok")),
    ("problems.board", "GET", "/problems/board", expect(403, admin="ok", officer="ok", officer_b="ok")),
    ("problems.escalations", "GET", "/problems/escalations", expect("ok", cadre=403, handler=403)),
    ("problems.detail", "GET", "/problems/999999", expect(404)),
    ("problems.act", "POST", "/problems/999999/dispatch", expect(404)),
    ("problems.act", "POST", "/problems/999999/no_such_step", expect(404)),
    ("problems.attachment", "GET", "/problems/attachments/999999", expect(404)),
    ("problems.attachment", "GET", "/problems/attachments/{attachment}", expect(404)),  # a visit's file
    # Notifications: everyone has their own; another user's answers 404 (own vs others:
    # tests/web/test_notification_views.py). Job status, channels and the delivery log: admins only.
    ("notifications.index", "GET", "/notifications/", expect("ok")),
    ("notifications.open", "GET", "/notifications/999999/open", expect(404)),
    ("notifications.open", "POST", "/notifications/999999/open", expect(404)),
    ("notifications.read", "POST", "/notifications/999999/read", expect(404)),
    ("notifications.read_all", "POST", "/notifications/read-all", expect("ok")),
    ("notifications.profile", "GET", "/profile", expect("ok")),
    ("notifications.profile", "POST", "/profile", expect("ok")),
    ("system.jobs", "GET", "/admin/jobs", expect(403, admin="ok")),
    ("system.channels", "GET", "/admin/channels", expect(403, admin="ok")),
    ("system.channels", "POST", "/admin/channels", expect(403, admin="ok")),
    ("system.channel_test", "POST", "/admin/channels/test/wecom", expect(403, admin="ok")),
    ("system.channel_test", "POST", "/admin/channels/test/fax", expect(403, admin=404)),
    ("system.deliveries", "GET", "/admin/deliveries", expect(403, admin="ok")),
    # 报表: admins, leaders and officers; whose report is whose: tests/web/test_reports_views.py.
    ("reports.index", "GET", "/reports/", expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok")),
    # 指标说明: definitions only, no figures: anyone signed in.
    ("reports.definitions", "GET", "/reports/definitions", expect("ok")),
    (
        "reports.generate",
        "POST",
        "/reports/generate",
        expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok"),
    ),
    ("reports.download", "GET", "/reports/999999/download", expect(404, cadre=403, handler=403)),
    # 月结: closing, reopening (重新结账) and the close day are the admins'; what they do:
    # tests/web/test_month_close_views.py.
    ("reports.close_month", "POST", "/reports/months/2026-10/close", ADMIN_ONLY),
    ("reports.reopen_month_view", "POST", "/reports/months/2026-10/reopen", ADMIN_ONLY),
    ("reports.close_day_setting", "POST", "/reports/close-day", ADMIN_ONLY),
    # User administration, 节假日 and 问题办理规则: admins only ({cadre} is the user acted on). What each
    # action does: tests/web/test_admin_views.py, test_admin_calendar_views.py, test_admin_rules_views.py.
    ("admin.users", "GET", "/admin/users/", ADMIN_ONLY),
    ("admin.user_create", "GET", "/admin/users/new", ADMIN_ONLY),
    ("admin.user_create", "POST", "/admin/users/new", ADMIN_ONLY),
    ("admin.user_edit", "GET", "/admin/users/{cadre}/edit", ADMIN_ONLY),
    ("admin.user_edit", "POST", "/admin/users/{cadre}/edit", ADMIN_ONLY),
    ("admin.user_edit", "GET", "/admin/users/999999/edit", expect(403, admin=404)),
    ("admin.user_password", "GET", "/admin/users/{cadre}/password", ADMIN_ONLY),
    ("admin.user_password", "POST", "/admin/users/{cadre}/password", ADMIN_ONLY),
    ("admin.user_activate", "POST", "/admin/users/{cadre}/activate", ADMIN_ONLY),
    ("admin.user_deactivate", "POST", "/admin/users/{cadre}/deactivate", ADMIN_ONLY),
    ("admin.user_unlock", "POST", "/admin/users/{cadre}/unlock", ADMIN_ONLY),
    # 基础数据: {park} is park A, {chain} the chain of {own}, {dept} the handler's department (all in use:
    # deleting them is refused). What each action does: tests/web/test_admin_reference_views.py.
    ("admin.reference", "GET", "/admin/reference", ADMIN_ONLY),
    ("admin.park_create", "GET", "/admin/reference/parks/new", ADMIN_ONLY),
    ("admin.park_create", "POST", "/admin/reference/parks/new", ADMIN_ONLY),
    ("admin.park_edit", "GET", "/admin/reference/parks/{park}/edit", ADMIN_ONLY),
    ("admin.park_edit", "POST", "/admin/reference/parks/{park}/edit", ADMIN_ONLY),
    ("admin.park_edit", "GET", "/admin/reference/parks/999999/edit", expect(403, admin=404)),
    ("admin.chain_create", "GET", "/admin/reference/chains/new", ADMIN_ONLY),
    ("admin.chain_create", "POST", "/admin/reference/chains/new", ADMIN_ONLY),
    ("admin.chain_edit", "GET", "/admin/reference/chains/{chain}/edit", ADMIN_ONLY),
    ("admin.chain_edit", "POST", "/admin/reference/chains/{chain}/edit", ADMIN_ONLY),
    ("admin.department_create", "GET", "/admin/reference/departments/new", ADMIN_ONLY),
    ("admin.department_create", "POST", "/admin/reference/departments/new", ADMIN_ONLY),
    ("admin.department_edit", "GET", "/admin/reference/departments/{dept}/edit", ADMIN_ONLY),
    ("admin.department_edit", "POST", "/admin/reference/departments/{dept}/edit", ADMIN_ONLY),
    ("admin.reference_retire", "POST", "/admin/reference/park/{park}/retire", ADMIN_ONLY),
    ("admin.reference_retire", "POST", "/admin/reference/chain/999999/retire", expect(403, admin=404)),
    ("admin.reference_restore", "POST", "/admin/reference/department/{dept}/restore", ADMIN_ONLY),
    ("admin.reference_delete", "POST", "/admin/reference/chain/{chain}/delete", ADMIN_ONLY),
    ("admin.reference_delete", "POST", "/admin/reference/department/999999/delete", expect(403, admin=404)),
    ("admin.calendar", "GET", "/admin/calendar/", ADMIN_ONLY),
    ("admin.calendar_day", "POST", "/admin/calendar/day", ADMIN_ONLY),
    ("admin.calendar_day_delete", "POST", "/admin/calendar/day/delete", ADMIN_ONLY),
    ("admin.calendar_confirm", "POST", "/admin/calendar/confirm", ADMIN_ONLY),
    ("admin.calendar_unconfirm", "POST", "/admin/calendar/unconfirm", ADMIN_ONLY),
    ("admin.calendar_bulk", "GET", "/admin/calendar/bulk", ADMIN_ONLY),
    ("admin.calendar_bulk", "POST", "/admin/calendar/bulk", ADMIN_ONLY),
    ("admin.rules", "GET", "/admin/rules", ADMIN_ONLY),
    ("admin.rules", "POST", "/admin/rules", ADMIN_ONLY),
    # 惠企政策: {policy} is a draft of park A (the library's behaviour: tests/web/test_policy_views.py).
    ("policies.index", "GET", "/policies/", expect("ok", handler=403)),
    ("policies.export", "GET", "/policies/export.xlsx", expect("ok", handler=403)),
    ("policies.create", "GET", "/policies/new", IMPORTERS),
    ("policies.create", "POST", "/policies/new", IMPORTERS),
    ("policies.detail", "GET", "/policies/{policy}", expect("ok", officer_b=404, handler=404)),
    ("policies.detail", "GET", "/policies/999999", expect(404, handler=404)),
    ("policies.file", "GET", "/policies/{policy}/file", expect(404)),  # a draft with no file
    ("policies.edit", "GET", "/policies/{policy}/edit", POLICY_MANAGE),
    ("policies.edit", "POST", "/policies/{policy}/edit", POLICY_MANAGE),
    ("policies.publish", "POST", "/policies/{policy}/publish", POLICY_MANAGE),
    ("policies.withdraw", "POST", "/policies/{policy}/withdraw", POLICY_MANAGE),
    ("policies.import_file", "GET", "/policies/import", IMPORTERS),
    ("policies.import_file", "POST", "/policies/import", IMPORTERS),
    ("policies.import_template", "GET", "/policies/import/template.xlsx", IMPORTERS),
    # Steps on a firm–policy pair: the firm's cadre and its park's office (a draft refuses, with a flash).
    ("policies.step", "POST", "/policies/{policy}/firms/{own}/deliver", POLICY_STEP_OWN),
    ("policies.step", "POST", "/policies/{policy}/firms/{other}/deliver", POLICY_STEP_OTHER),
    ("policies.step", "POST", "/policies/{policy}/firms/{own}/fly", expect(404, leader=403, cadre=404)),
    # 标签库: admins keep the managed tags ({tag} is in use by nobody).
    ("policies.tags", "GET", "/tags/", ADMIN_ONLY),
    ("policies.tag_create", "POST", "/tags/new", ADMIN_ONLY),
    ("policies.tag_edit", "GET", "/tags/{tag}/edit", ADMIN_ONLY),
    ("policies.tag_edit", "POST", "/tags/{tag}/edit", ADMIN_ONLY),
    ("policies.tag_retire", "POST", "/tags/{tag}/retire", ADMIN_ONLY),
    ("policies.tag_restore", "POST", "/tags/{tag}/restore", ADMIN_ONLY),
    ("policies.tag_delete", "POST", "/tags/{tag}/delete", ADMIN_ONLY),
    ("policies.tag_delete", "POST", "/tags/999999/delete", expect(403, admin=404)),
    # 企业之声, the firm's own page: public, reached only through a token ({token}: {own}'s service code);
    # a problem of no firm, or not the token's firm, is not found. What it shows and does:
    # tests/web/test_firm_portal_views.py.
    ("firm_portal.home", "GET", "/s/{token}", EVERYONE),
    ("firm_portal.home", "GET", "/s/" + "A" * 32, dict.fromkeys(ROLES, 404)),
    ("firm_portal.submit", "GET", "/s/{token}/new", EVERYONE),
    ("firm_portal.submit", "POST", "/s/{token}/new", EVERYONE),  # an empty form: shown again with why
    ("firm_portal.problem", "GET", "/s/{token}/p/999999", dict.fromkeys(ROLES, 404)),
    ("firm_portal.rate", "POST", "/s/{token}/p/999999/rate", dict.fromkeys(ROLES, 404)),
    ("firm_portal.withdrawal", "POST", "/s/{token}/p/999999/withdrawal", dict.fromkeys(ROLES, 404)),
    # Its 政策 section (tests/web/test_policy_portal_views.py): an unknown policy is refused on the page.
    ("firm_portal.policies", "GET", "/s/{token}/policies", EVERYONE),
    ("firm_portal.policy_answer", "POST", "/s/{token}/policies/999999/interest", dict.fromkeys(ROLES, 400)),
    # The office's side: service codes (cadres see and print their firms' cards), 撤单质检, 回访抽查.
    # What each does: tests/web/test_firm_voice_views.py.
    ("firm_voice.index", "GET", "/firm-voice/", expect("ok", handler=403)),
    ("firm_voice.sheet", "GET", "/firm-voice/codes/sheet", expect("ok", handler=403)),
    ("firm_voice.issue_missing", "POST", "/firm-voice/codes/issue-missing", IMPORTERS),
    ("firm_voice.card", "GET", "/enterprises/{own}/service-code", expect("ok", officer_b=404, handler=403)),
    (
        "firm_voice.card",
        "GET",
        "/enterprises/{foreign}/service-code",
        expect("ok", officer=404, cadre=404, handler=404),
    ),
    ("firm_voice.issue", "POST", "/enterprises/{own}/service-code/issue", LISTS_OWN | {"cadre": 403}),
    ("firm_voice.revoke", "POST", "/enterprises/{own}/service-code/revoke", LISTS_OWN | {"cadre": 403}),
    ("firm_voice.revoke", "POST", "/enterprises/{foreign}/service-code/revoke", LISTS_FOREIGN),
    ("firm_voice.withdrawals", "GET", "/firm-voice/withdrawals", expect("ok", cadre=403, handler=403)),
    ("firm_voice.callbacks", "GET", "/firm-voice/callbacks", expect("ok", cadre=403, handler=403)),
    ("firm_voice.draw", "POST", "/firm-voice/callbacks/draw", IMPORTERS_UNKNOWN),  # no park named
    ("firm_voice.record", "POST", "/firm-voice/callbacks/999999", IMPORTERS_UNKNOWN),
    ("firm_voice.settings", "GET", "/firm-voice/settings", IMPORTERS),
    ("firm_voice.settings", "POST", "/firm-voice/settings", IMPORTERS),
    # 典型案例库: read by everyone of the park (leaders and admins city-wide), kept by its office; {case} is a
    # case of {own}'s closed problem {case_problem} (what each does: tests/web/test_case_views.py).
    ("knowledge.cases", "GET", "/knowledge/cases/", expect("ok")),
    ("knowledge.cases_export", "GET", "/knowledge/cases/export.xlsx", CASE_EXPORT),
    ("knowledge.case", "GET", "/knowledge/cases/{case}", expect("ok", officer_b=404)),
    ("knowledge.case", "GET", "/knowledge/cases/999999", expect(404)),
    ("knowledge.case_promote", "GET", "/knowledge/cases/promote/{case_problem}", CASE_MANAGE),
    ("knowledge.case_promote", "POST", "/knowledge/cases/promote/{case_problem}", CASE_MANAGE),
    ("knowledge.case_edit", "GET", "/knowledge/cases/{case}/edit", CASE_MANAGE),
    ("knowledge.case_edit", "POST", "/knowledge/cases/{case}/edit", CASE_MANAGE),
    ("knowledge.case_withdraw", "POST", "/knowledge/cases/{case}/withdraw", CASE_MANAGE),
    ("knowledge.case_restore", "POST", "/knowledge/cases/{case}/restore", CASE_MANAGE),
    # 相似问题 while a problem is typed: those who raise problems (more: tests/web/test_similar_views.py).
    ("knowledge.similar", "GET", "/knowledge/similar", expect("ok", leader=403, handler=403)),
    # 热点分析: officers (their own park), leaders and admins (more: tests/web/test_hotspot_views.py).
    ("knowledge.hotspots", "GET", "/knowledge/hotspots", IMPORTERS | {"leader": "ok"}),
    # 共性问题: seen by everyone of the park, confirmed and closed by its office, progress by the 专班; an
    # unknown group is not found (per role on real groups: tests/web/test_common_issue_views.py).
    ("knowledge.groups", "GET", "/knowledge/groups/", expect("ok")),
    ("knowledge.group_confirm", "POST", "/knowledge/groups/confirm", IMPORTERS),  # nothing picked: refused
    ("knowledge.group", "GET", "/knowledge/groups/999999", expect(404)),
    ("knowledge.group_progress", "POST", "/knowledge/groups/999999/progress", expect(404)),
    ("knowledge.group_add", "POST", "/knowledge/groups/999999/members", expect(404)),
    ("knowledge.group_remove", "POST", "/knowledge/groups/999999/members/1/remove", expect(404)),
    ("knowledge.group_edit", "POST", "/knowledge/groups/999999/edit", expect(404)),
    ("knowledge.group_close", "POST", "/knowledge/groups/999999/close", expect(404)),
]


def _url(template, w):
    return template.format(
        own=w.own_firm.id,
        other=w.other_firm.id,
        foreign=w.foreign_firm.id,
        cadre=w.cadre.id,
        cadre_b=w.cadre_b.id,
        product=w.product.id,
        sales=w.sales.id,
        tech=w.tech.id,
        visit=w.visit.id,
        foreign_visit=w.foreign_visit.id,
        attachment=w.attachment.id,
        park=w.park_a.id,
        chain=w.chain.id,
        dept=w.dept.id,
        token=_token(w) if "{token}" in template else "",
        policy=_policy(w) if "{policy}" in template else "",
        tag=_tag(w) if "{tag}" in template else "",
        case=_case(w).id if "{case" in template else "",
        case_problem=_case(w).problem_id if "{case_problem}" in template else "",
    )


def _policy(w) -> int:
    """A draft policy of park A, entered once per test (before the request is counted)."""
    if not hasattr(w, "policy"):
        w.policy = make_policy(w.officer, publish=False, title="矩阵测试政策")
        db.session.commit()
    return w.policy.id


def _case(w) -> TypicalCase:
    """A 典型案例 of a closed problem of {own}, promoted once per test (before the request is counted)."""
    if not hasattr(w, "case"):
        problem = make_problem(w.own_firm, w.cadre, "closed", w.dept, w.handler, officer=w.officer)
        data = {"title": "矩阵测试案例", "category": "utilities", "summary": "已协调解决", "tags": ""}
        w.case = promote_problem(w.officer, problem, data)
        db.session.commit()
    return w.case


def _tag(w) -> int:
    if not hasattr(w, "tag"):
        w.tag = make_tag("矩阵测试标签")
        db.session.commit()
    return w.tag.id


def _token(w) -> str:
    """The service-code token of {own}, issued once per test (before the request is counted)."""
    if not hasattr(w, "token"):
        w.token = token_of(issue_service_code(w.own_firm, None))
        db.session.commit()
    return w.token


def _routed(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_and_method_is_in_the_matrix(app):
    """A new route, or a new method on an old one, must get rows in CASES before the suite passes."""
    covered = {(endpoint, method) for endpoint, method, _template, _expected in CASES}
    assert sorted(_routed(app) - covered) == [], "routes missing from the permission matrix"
    assert sorted(covered - _routed(app)) == [], "rows for routes that no longer exist"


def test_a_route_added_tomorrow_is_caught(app):
    settings = {k: v for k, v in app.config.items() if k.isupper()}
    tomorrow = create_app(type("TomorrowConfig", (), settings))
    tomorrow.add_url_rule("/tomorrow", "main.tomorrow", lambda: "x", methods=["GET", "POST"])
    covered = {(endpoint, method) for endpoint, method, _template, _expected in CASES}
    assert _routed(tomorrow) - covered == {("main.tomorrow", "GET"), ("main.tomorrow", "POST")}


def test_every_row_covers_every_role_and_hits_its_endpoint(app):
    """Each row names all roles (anonymous included), and its URL really is the endpoint it claims."""
    adapter = app.url_map.bind("localhost")
    for endpoint, method, template, expected in CASES:
        assert set(expected) == set(ROLES), (endpoint, template)
        path = template.format_map(dict.fromkeys(_PLACEHOLDERS, 1))
        assert adapter.match(path, method=method)[0] == endpoint, (endpoint, method, template)


_PLACEHOLDERS = ("own", "other", "foreign", "cadre", "cadre_b", "product", "sales", "tech", "visit",
                 "foreign_visit", "attachment", "park", "chain", "dept", "token",
                 "policy", "tag", "case", "case_problem")  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint, method, template, expected", CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
def test_route_answers_by_role(
    client, login_as, world, count_queries, role, endpoint, method, template, expected
):
    if role != "anon":
        login_as(getattr(world, role))
    url = _url(template, world)
    with count_queries() as sql:
        resp = client.open(url, method=method)
    if method == "GET":  # no GET writes: link previews, mail scanners and prefetching follow links unasked
        # The one exception is a cache fill: the home page stores the park figures it had to compute.
        writes = [
            s
            for s in sql.statements
            if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and not s.lstrip().upper().startswith("INSERT INTO PARK_FIGURES ")
        ]
        assert writes == [], (url, writes)
    want = expected[role]
    if want == "login":
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    elif want == "ok":
        assert resp.status_code in (200, 302), resp.status_code
        if resp.status_code == 302:
            assert "/login" not in resp.headers["Location"]
    else:
        assert resp.status_code == want
