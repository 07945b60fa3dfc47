"""变更对照: every figure of a closed month that differs between a version and the one before it.

A month closed again after 重新结账 is version 2 (3 …). Both versions' snapshots are kept, so both
workbooks can be rebuilt; their figures are compared table by table — 汇总's rows (本月, 上月), and every
row of the table sheets keyed by what it is about (a cadre, a firm, a problem number, a department, a
chain, a park, a policy), 企业之声's figures, 热点分析's blocks (crm.reporting.monthly.hotspot_changes) —
and each difference is listed with its sheet, row, column and both values.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from crm.reporting.monthly.build import Change, MonthlyReport, build_monthly_report
from crm.reporting.monthly.firm_voice import (
    CALLBACK_COLUMNS,
    WITHDRAWAL_COLUMNS,
    callback_values,
    voice_figures,
    withdrawal_values,
)
from crm.reporting.monthly.firm_voice import _rows as voice_rows
from crm.reporting.monthly.hotspot_changes import hotspot_blocks
from crm.reporting.monthly.list_changes import list_changes
from crm.reporting.monthly.lists_sheet import FIRM_COLUMNS, PARK_COLUMNS
from crm.reporting.monthly.lists_sheet import _metrics as list_metrics
from crm.reporting.monthly.policies import COLUMNS as POLICY_COLUMNS
from crm.reporting.monthly.policies import _figures as policy_figures
from crm.reporting.monthly.policy_facts import policy_report_of
from crm.reporting.monthly.snapshot import SnapshotSource
from crm.reporting.monthly.summary import ROWS, summary_value
from crm.reporting.monthly.tables import (
    CADRE_COLUMNS,
    CHAIN_COLUMNS,
    DEPARTMENT_COLUMNS,
    PROBLEM_COLUMNS,
    SUPERVISION_COLUMNS,
    UNVISITED_COLUMNS,
    cadre_total,
    cadre_values,
    chain_values,
    department_values,
    problem_values,
    supervision_values,
    unvisited_values,
)
from crm.reporting.monthly.xlsx import DATE, PCT, WAN, Column
from crm.services.closing.store import close_history

# sheet -> row label -> column -> (value, number format)
Tables = dict[str, dict[str, dict[str, tuple[Any, Optional[str]]]]]
MISSING = "—"


def _table(
    rows: Iterable[Any],
    columns: Sequence[Column],
    values: Callable[[Any], list[Any]],
    label: Callable[[Any], str],
) -> dict[str, dict[str, tuple[Any, Optional[str]]]]:
    """{row label: {column header: (value, format)}}; a label seen twice gets （2） and so on."""
    out: dict[str, dict[str, tuple[Any, Optional[str]]]] = {}
    for row in rows:
        key, n = label(row), 1
        while (f"{key}（{n}）" if n > 1 else key) in out:
            n += 1
        key = f"{key}（{n}）" if n > 1 else key
        out[key] = {c.header: (v, c.fmt) for c, v in zip(columns, values(row), strict=True)}
    return out


def figure_tables(report: MonthlyReport) -> Tables:
    """Every figure of the workbook, by sheet, row and column."""
    summary: dict[str, dict[str, tuple[Any, Optional[str]]]] = {}
    for path, label, is_rate, _note in ROWS:
        if path is not None:
            fmt = PCT if is_rate else None
            summary[label] = {
                "本月": (summary_value(report.summary, path), fmt),
                "上月": (summary_value(report.previous, path), fmt),
            }
    departments = list(report.departments)
    if report.department_total is not None:
        departments.append(report.department_total)
    source = report.source
    assert source is not None, "a built report knows its source"
    changes = list_changes(report.scope, report.period, report.parks, source)
    parks = [*changes.parks, *([changes.total] if changes.total is not None else [])]
    voice = {
        label: {"本月": (value, PCT if key else None)}
        for key, label, value, _note in voice_rows(voice_figures(source))
        if key is not None
    }
    policies = policy_report_of(source)
    policy_rows: list[tuple[Any, ...]] = [
        (r.policy.title, r.policy.issuer, r.policy.level_label, r.policy.apply_to, r.figures)
        for r in policies.policies
    ]
    policy_rows.append(("合计", f"{len(policies.policies)}项政策", None, None, policies.total))
    policy_rows += [(park.name, None, None, None, park.figures) for park in policies.parks]
    return {
        "汇总": summary,
        "干部走访": {
            **_table(report.cadres, CADRE_COLUMNS, cadre_values, lambda r: f"{r.name}（{r.park}）"),
            **_table([report.cadres], CADRE_COLUMNS, cadre_total, lambda _rows: "合计"),
        },
        "未走访企业": _table(
            report.unvisited, UNVISITED_COLUMNS, lambda f: unvisited_values(f, report), lambda f: f.name
        ),
        "问题清单": _table(
            report.problems, PROBLEM_COLUMNS, lambda s: problem_values(s, report), lambda s: f"问题{s.id}"
        ),
        "部门办理": _table(departments, DEPARTMENT_COLUMNS, department_values, lambda d: d.name),
        "产业链": _table(report.chains, CHAIN_COLUMNS, chain_values, lambda c: c.name),
        "四张清单变化·园区": _table(
            parks, PARK_COLUMNS, lambda r: [r.name, r.firms, *list_metrics(r)], lambda r: r.name
        ),
        "四张清单变化·企业": _table(
            changes.firms, FIRM_COLUMNS, lambda r: [r.name, r.park, *list_metrics(r)], lambda r: r.name
        ),
        "督办与升级": _table(
            report.supervision,
            SUPERVISION_COLUMNS,
            supervision_values,
            lambda r: (
                f"{r.day:%Y-%m-%d} 问题{r.problem_id} {'提级协调' if r.action == 'escalate' else '督办'}"
            ),
        ),
        "企业之声": voice,
        "撤单质检": _table(
            source.rows("withdrawals"),
            WITHDRAWAL_COLUMNS,
            withdrawal_values,
            lambda w: f"问题{w.problem_id}",
        ),
        "回访抽查": _table(
            source.rows("callbacks"),
            CALLBACK_COLUMNS,
            callback_values,
            lambda c: f"问题{c.problem_id}",
        ),
        "政策兑现": _table(
            policy_rows, POLICY_COLUMNS, lambda r: [*r[:4], *policy_figures(r[4])], lambda r: r[0]
        ),
        **{sheet: _table(*block) for sheet, block in hotspot_blocks(source, report.scope.title).items()},
    }


def shown(value: Any, fmt: Optional[str]) -> Any:
    """A value as the 变更对照 sheet lists it (rates as 84.6%, 万元 with two decimals, dates ISO). A negative
    percentage (热点分析's 环比) takes the sign −: text starting with - would be escaped as a formula."""
    if value is None or value == "":
        return MISSING
    if fmt == PCT and isinstance(value, (int, float)):
        return f"{value * 100:.1f}%".replace("-", "\u2212")
    if fmt == WAN and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(value):,.2f}"
    if fmt == DATE or isinstance(value, date):
        return value.isoformat() if isinstance(value, date) else value
    return value


def compare(before: Tables, after: Tables) -> list[Change]:
    """Every cell that differs, in the sheets' order, then the rows' (after's order, then removed rows)."""
    out: list[Change] = []
    for sheet, rows_after in after.items():
        rows_before = before.get(sheet, {})
        labels = list(rows_after) + [label for label in rows_before if label not in rows_after]
        for label in labels:
            old, new = rows_before.get(label, {}), rows_after.get(label, {})
            columns = list(new) + [c for c in old if c not in new]
            for column in columns:
                v1, fmt1 = old.get(column, (None, None))
                v2, fmt2 = new.get(column, (None, None))
                if v1 != v2:
                    out.append(Change(sheet, label, column, shown(v1, fmt1 or fmt2), shown(v2, fmt2 or fmt1)))
    return out


def attach_changes(report: MonthlyReport) -> MonthlyReport:
    """For a closed month's version 2 and later, the figures that differ from the version before (in
    report.changes); any other report is returned as it is."""
    source = report.source
    if not isinstance(source, SnapshotSource) or source.close.version < 2:
        return report
    earlier = next(
        (c for c in close_history(source.period.month) if c.version == source.close.version - 1), None
    )
    if earlier is None:
        return report
    before = build_monthly_report(
        report.scope,
        report.period,
        report.generated_at,
        SnapshotSource(report.period, earlier, source.park_id),
    )
    report.changes = compare(figure_tables(before), figure_tables(report))
    return report
