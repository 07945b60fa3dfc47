"""The 四张清单变化 sheet: per park, then per firm with activity, the month's list figures next to the
previous month's (definitions: crm.reporting.monthly.lists and list_changes)."""

from decimal import Decimal
from typing import Any, Optional

from openpyxl.utils import get_column_letter

from crm.reporting.exports.xlsx import escape_cell
from crm.reporting.monthly.list_changes import ListChange, ListChanges, list_changes
from crm.reporting.monthly.xlsx import (
    BOLD,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_FONT,
    INT,
    MUTED,
    PLAIN,
    SECTION_FILL,
    TITLE_FONT,
    TOTAL_FILL,
    WAN,
    WRAP_CENTER,
    Column,
    number_cell,
    setup_print,
    styled,
)

SHEET = "四张清单变化"
SIGNED_PCT = "+0.0%;-0.0%;0.0%"
METRICS = [
    Column("在产产品", 9, INT),
    Column("本月新增产品", 10, INT),
    Column("本月停产/下架", 10, INT),
    Column("本月销售额（万元）", 14, WAN),
    Column("上月销售额（万元）", 14, WAN),
    Column("销售额环比", 10, SIGNED_PCT),
    Column("新增技术需求", 10, INT),
    Column("解决技术需求", 10, INT),
    Column("月末待解决技术需求", 12, INT),
    Column("新增问题", 9, INT),
    Column("销号问题", 9, INT),
    Column("月末在办问题", 10, INT),
]
PARK_COLUMNS = [Column("园区", 34), Column("有清单企业", 22, INT), *METRICS]
FIRM_COLUMNS = [Column("企业名称", 34), Column("所属园区", 22), *METRICS]
WIDTH = len(FIRM_COLUMNS)
FREEZE_PARKS = 10  # with more park rows than this, freezing down to the firms' header would fill a screen
NOTES = [
    "口径说明：在产产品为月末未停产/下架的产品；新增产品、技术需求按录入清单的日期（北京时间）计；"
    "停产/下架按登记的停产日期计；销售额为销售期间为当月的销售清单合计（万元）。",
    "技术需求为技术清单中类型为“技术需求”的事项，解决按解决日期计；问题新增按提出日期、销号按销号日期计。",
    "销售额环比 =（本月 − 上月）÷ 上月，上月无销售额时不计算。已月结月份按月结时冻结的数据统计。",
]


def _metrics(row: ListChange) -> list[Any]:
    return [
        row.products,
        row.products_added,
        row.products_retired,
        row.sales,
        row.sales_before,
        row.sales_change,
        row.tech_opened,
        row.tech_met,
        row.tech_open,
        row.problems_opened,
        row.problems_closed,
        row.problems_open,
    ]


def _small_count(column: Column, value: Any) -> bool:
    """A count under 1,000 reads the same without a thousands separator: write it as a plain number."""
    return column.fmt == INT and isinstance(value, int) and -1000 < value < 1000


class _Writer:
    def __init__(self, wb):
        self.ws = wb.create_sheet(title=SHEET)
        self.row = 0
        self.ws.widths([col.width for col in FIRM_COLUMNS])
        setup_print(self.ws, landscape=True)

    def append(self, cells: list[Any]) -> int:
        self.ws.append(cells)
        self.row += 1
        return self.row

    def line(self, text: str, font=MUTED) -> None:
        self.append([styled(self.ws, text, font=font)])

    def section(self, title: str) -> None:
        fill = SECTION_FILL
        self.append(
            [styled(self.ws, title, font=BOLD, fill=fill)] + [styled(self.ws, None, fill=fill)] * (WIDTH - 1)
        )

    def header(self, columns: list[Column]) -> int:
        ws = self.ws
        cells = [
            styled(ws, c.header, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER, border=HEADER_BORDER)
            for c in columns
        ]
        row = self.append(cells)
        ws.height(row, 32)
        return row

    def values(self, columns: list[Column], values: list[Any], total: bool = False) -> None:
        """A table row: a total bold on grey; else only numbers become styled cells (a city's thousands
        of firm rows stream as plain values where they can)."""
        ws = self.ws
        if total:
            cells = [
                styled(ws, v, c.fmt if v is not None else None, font=BOLD, fill=TOTAL_FILL)
                for c, v in zip(columns, values, strict=True)
            ]
        else:
            cells = []
            for c, v in zip(columns, values, strict=True):
                kind = type(v)
                if not c.fmt or v is None or _small_count(c, v):
                    cells.append(v if kind in PLAIN else escape_cell(v))
                elif kind is int or kind is float:
                    cells.append(number_cell(ws, v, c.fmt))
                elif kind is Decimal:  # written as a float, as escape_cell would
                    cells.append(number_cell(ws, float(v), c.fmt))
                else:
                    cells.append(styled(ws, v, c.fmt))
        self.append(cells)


def write_list_changes(wb, report, changes: Optional[ListChanges] = None) -> None:
    """The sheet for the report's scope and month (its figures loaded here unless given)."""
    changes = changes or list_changes(report.scope, report.period, report.parks, report.source)
    period = changes.period
    w = _Writer(wb)
    ws = w.ws
    # The panes freeze under the firms' header, which comes after the title, period, blank, section,
    # header, the parks (and their total), blank and section.
    header = 8 + len(changes.parks) + (changes.total is not None)
    ws.freeze(f"B{header + 1}" if len(changes.parks) <= FREEZE_PARKS else "B1")
    ws.merge(f"A1:{get_column_letter(WIDTH)}1")
    w.line(f"{report.scope.title}{period.label}四张清单变化", font=TITLE_FONT)
    ws.height(1, 28)
    until = "（截至当日）" if period.is_running else ""
    w.line(
        f"统计期间：{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}{until}　"
        f"对比：{period.previous().label}　范围：{report.scope.title}"
    )
    w.append([])
    w.section("一、各园区汇总")
    w.header(PARK_COLUMNS)
    for park in changes.parks:
        w.values(PARK_COLUMNS, [park.name, park.firms, *_metrics(park)])
    if changes.total is not None:
        w.values(PARK_COLUMNS, ["合计", changes.total.firms, *_metrics(changes.total)], total=True)
    w.append([])
    w.section("二、企业明细（本月有产品增减、销售额、技术需求或问题变化的企业，按园区、企业名称排列）")
    written = w.header(FIRM_COLUMNS)
    assert written == header, "the firms' header is where the panes were frozen"
    for firm in changes.firms:
        w.values(FIRM_COLUMNS, [firm.name, firm.park, *_metrics(firm)])
    if changes.firms:
        ws.filter(f"A{header}:{get_column_letter(WIDTH)}{w.row}")
    else:
        w.line("本月没有企业的清单发生变化。")
    ws.repeat_rows(header)
    w.append([])
    for note in NOTES:
        w.line(note)
