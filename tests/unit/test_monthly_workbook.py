"""The monthly workbook as a file: sheets, headers, frozen rows, filters, formats, fills, charts, escaping."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import SHEETS, monthly_workbook
from tests.support.reports import HYPERLINK, report_world

HEADERS = {
    "干部走访": "干部姓名 所属园区 联系企业数 联系次数 上门次数 已联系企业 已上门企业 联系覆盖率 上门覆盖率 "
    "逾期企业 反映问题 销号问题 上门(有佐证)",
    "未走访企业": "企业名称 所属园区 产业链 重点企业 联系干部 最近上门日期 最近联系日期",
    "问题清单": "问题编号 企业名称 所属园区 问题标题 问题类别 紧急程度 承办部门 状态（月末） 提出日期 "
    "交办日期 办结期限 办结日期 销号日期 已用工作日 三色预警 协调级别 企业评价",
    "部门办理": "承办部门 本月收到 应签收 按时签收 按时签收率 本月办结 按期办结 按期办结率 本月销号 月末在办 "
    "月末超期 延期（次） 退回（次） 回访评价 满意率",
    "产业链": "产业链 在营企业 联系企业 已上门企业 上门覆盖率 走访次数 上门次数 本月新增问题 月末在办问题 "
    "月末超期 本月销售额（万元） 本年累计销售额（万元）",
    "督办与升级": "日期 类型 企业名称 问题编号 问题标题 承办部门 原级别 提升至 操作人 说明",
}
FILLS = {"红色预警": "FFC7CE", "黄色预警": "FFEB9C", "正常": "C6EFCE", "已销号": "EDEDED"}


@pytest.fixture()
def wb(db):
    world = report_world()
    db.session.commit()
    data = monthly_workbook(ReportScope(world.park_a), Period.parse("2026-10", date(2026, 11, 2)))
    return load_workbook(BytesIO(data.getvalue()))


def test_workbook_has_the_sheets_headers_frozen_rows_and_filters(wb):
    assert wb.sheetnames == SHEETS
    summary = wb["汇总"]
    assert summary["A1"].value == "甲园区2026年10月联企服务月报（初稿）"  # not closed yet
    assert summary["A3"].value == "初稿，将于2026年11月4日月结后定稿，此前数据可能变动。"
    assert [c.value for c in summary[4]] == ["指标", "本月", "上月", "环比变化", "口径说明"]
    assert summary.freeze_panes == "A5"
    for title, headers in HEADERS.items():
        ws = wb[title]
        assert [c.value for c in ws[1]] == headers.split(), title
        assert ws.freeze_panes == "A2", title
        assert ws.auto_filter.ref.startswith("A1:"), title
        assert ws[1][0].font.b and ws[1][0].fill.fgColor.rgb.endswith("2F5597"), title
        assert ws.column_dimensions["A"].width >= 9, title


def test_number_formats_percent_and_wan(wb):
    summary = {row[0].value: row for row in wb["汇总"].iter_rows(min_row=5) if row[0].value}
    assert summary["上门覆盖率"][1].number_format == "0.0%" and summary["上门覆盖率"][1].value == 0.5
    assert summary["本月新增（件）"][3].number_format.startswith("+")
    cadres = wb["干部走访"]
    assert cadres["I3"].number_format == "0.0%"
    chains = wb["产业链"]
    assert chains["K2"].number_format == "#,##0.00" and chains["K2"].value == 100.5  # 万元
    assert chains["L2"].value == 150.5
    assert wb["问题清单"]["I2"].number_format == "yyyy-mm-dd"


def test_problem_list_has_three_colour_fills(wb):
    ws = wb["问题清单"]
    seen = set()
    for row in ws.iter_rows(min_row=2):
        colour = row[14]
        assert colour.fill.fgColor.rgb.endswith(FILLS[colour.value]), colour.value
        seen.add(colour.value)
    assert seen == set(FILLS)


def test_native_charts(wb):
    charts = {title: wb[title]._charts for title in SHEETS}
    assert len(charts["汇总"]) == 2  # problems by status, 三色 distribution
    assert len(charts["干部走访"]) == 1  # on-site coverage per cadre
    assert len(charts["部门办理"]) == 1 and len(charts["产业链"]) == 1
    kinds = sorted(type(c).__name__ for c in charts["汇总"])
    assert kinds == ["BarChart", "PieChart"]


def test_formula_like_firm_name_is_text(wb):
    cells = [
        c
        for title in ("未走访企业", "问题清单", "督办与升级")
        for row in wb[title].iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert len(cells) >= 3
    for cell in cells:
        assert cell.data_type == "s" and not cell.value.startswith("=")
        assert cell.value == "'" + HYPERLINK
