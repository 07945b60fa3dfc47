"""Each KPI's definition (分子, 分母, exclusions) and the arithmetic that turns two counts into it.

Rates are percentages rounded half up (四舍五入) to one decimal, as published: 84.6 means 84.6 %.
Averages (unit 工作日) are rounded the same way. A figure with nothing to divide by is None (shown —).

To add a KPI, add a Kpi to DEFINITIONS in its group, in the order the 指标说明 sheet and page list it.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional, Union

Number = Union[int, float, Decimal]
PERCENT = "%"
WORKDAYS = "工作日"
_ONE_DECIMAL = Decimal("0.1")

# Groups of the 指标说明 sheet and page, in order.
VISITS = "走访服务"
PROBLEMS = "问题办理"
FIRM_VOICE = "企业之声"  # the firm's own voice: 企业自评, 撤单质检, 回访抽查 (crm.services.portal.figures)
POLICIES = "惠企政策"  # 送政策 on the cadre's round (crm.services.policies.figures)
GROUPS = (VISITS, PROBLEMS, FIRM_VOICE, POLICIES)


@dataclass(frozen=True)
class Kpi:
    key: str  # "onsite_coverage"
    label: str  # "上门覆盖率"
    numerator: str  # what is counted on top
    denominator: str  # what it is divided by
    note: str = ""  # exclusions and edge rules
    unit: str = PERCENT  # "%" for rates; "工作日" for averages
    group: str = PROBLEMS  # the section of the 指标说明 sheet and page

    @property
    def is_rate(self) -> bool:
        return self.unit == PERCENT

    def value(self, part: Number, whole: Number) -> Optional[float]:
        """The figure: part / whole (× 100 for a rate) rounded half up to one decimal; None if whole is 0."""
        if part < 0 or whole < 0:
            raise ValueError(f"{self.label}：分子和分母不能为负数（{part} ÷ {whole}）")
        if not whole:
            return None
        quotient = Decimal(part) / Decimal(whole)
        if self.is_rate:
            quotient *= 100
        return float(quotient.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP))

    def fraction(self, part: Number, whole: Number) -> Optional[float]:
        """A rate as the fraction a spreadsheet formats as % (0.846 for 84.6 %): the same rounded figure
        as value(), so a workbook cell and a dashboard card show the same digits. Averages unchanged."""
        figure = self.value(part, whole)
        if figure is None or not self.is_rate:
            return figure
        return float(Decimal(str(figure)) / 100)

    def display(self, figure: Optional[float]) -> str:
        """A figure as text: "84.6%", "3.5个工作日", "—" when there is none."""
        if figure is None:
            return "—"
        return f"{figure:.1f}%" if self.is_rate else f"{figure:.1f}个{self.unit}"

    @property
    def formula(self) -> str:
        """ "上门覆盖率 = 本月有上门走访的联系企业数 ÷ 联系企业数 × 100%"."""
        tail = " × 100%" if self.is_rate else f"（{self.unit}）"
        return f"{self.label} = {self.numerator} ÷ {self.denominator}{tail}"

    @property
    def description(self) -> str:
        """The formula and its note in one line (a tooltip)."""
        return f"{self.formula}。{self.note}" if self.note else self.formula


DEFINITIONS: tuple[Kpi, ...] = (
    Kpi(
        "contact_coverage",
        "联系覆盖率",
        "本月有联系记录（任意方式，含上门走访）的联系企业数",
        "联系企业数",
        "联系企业为统计期末（本月未结束时为当日）有联系干部的在营企业；同一企业本月多次联系只计一次。",
        group=VISITS,
    ),
    Kpi(
        "weekly_contact_coverage",
        "本周联系覆盖率",
        "本周（周一起至当日）有联系记录（任意方式）的联系企业数",
        "联系企业数",
        "“一周一联系”的完成情况，只在工作台显示；联系企业口径同联系覆盖率。",
        group=VISITS,
    ),
    Kpi(
        "onsite_coverage",
        "上门覆盖率",
        "本月有上门走访的联系企业数",
        "联系企业数",
        "“一月一进企”的完成情况；电话、微信等非上门联系不计入分子；同一企业本月多次上门只计一次。",
        group=VISITS,
    ),
    Kpi(
        "evidenced_coverage",
        "上门覆盖率（有佐证）",
        "本月有上门走访且现场佐证成立（定位在企业附近、附现场照片）的联系企业数",
        "联系企业数",
        "只有开启现场佐证的园区采集佐证，未开启的园区此项为0；位置存疑、待确认位置的走访经园区管理员"
        "核实无误后计入；同一企业本月多次上门只计一次。",
        group=VISITS,
    ),
    Kpi(
        "signed_on_time_rate",
        "按时签收率",
        "签收期限在本月内的交办中，部门在签收期限当日或之前签收的",
        "签收期限在本月内的交办（含改派）",
        "签收期限按交办时适用的签收时限（工作日）从交办日起算；本月未结束时只计签收期限不晚于当日的，"
        "尚未到期的不计入，留待到期所在月份计入；逾期签收或到期仍未签收的计为未按时签收；"
        "每次交办计一次，按部门统计时计入被交办的部门。",
    ),
    Kpi(
        "on_time_rate",
        "按期办结率",
        "本月办结的问题中，办结日期不晚于办结期限（含批准延期）的",
        "本月办结的问题",
        "只计交办到部门、有办结期限的问题；干部现场解决的问题没有办结期限，不计入。",
    ),
    Kpi(
        "resolution_rate",
        "办结率",
        "本月办结的问题",
        "应办结的问题（本月办结的问题 + 统计期末已过办结期限仍未办结的问题）",
        "已过办结期限指办结期限早于统计期末（本月未结束时为当日）；被退回、强制销号的问题不再计入应办结；"
        "现场解决的问题不计入。",
    ),
    Kpi(
        "solved_rate",
        "解决率",
        "本月销号的问题中，企业回访评价为满意或基本满意后销号的",
        "本月销号的问题（含强制销号、撤单和现场解决）",
        "以企业确认为准：强制销号、撤单的问题计入分母、不计入分子；评价不满意的问题须重办，不会因评价而销号。",
    ),
    Kpi(
        "satisfaction_rate",
        "满意率",
        "本月回访评价为满意或基本满意的次数",
        "本月回访评价次数",
        "以评价次数计：同一问题重办后再次评价的，每次评价都计入。",
    ),
    Kpi(
        "overdue_rate",
        "超期率",
        "月末超期的问题（月末在办且为红色预警）",
        "月末在办的问题",
        "月末指统计期末（本月未结束时为当日）；在办指已提出、尚未销号。",
    ),
    Kpi(
        "avg_resolution_workdays",
        "平均办结工作日",
        "本月办结问题从交办到办结所用工作日之和",
        "本月办结的问题",
        "按法定工作日（含调休）计算；改派的从最后一次交办起算；只计有办结期限的问题。",
        unit=WORKDAYS,
    ),
    Kpi(
        "redo_rate",
        "重办率",
        "本月回访评价为不满意、退回部门重办的次数",
        "本月办结的问题（只计有办结期限的）",
        "按部门统计时，重办计入评价时的承办部门，办结计入办结时的承办部门；同一问题多次重办的每次都计入，"
        "因此可能超过100%。在热点分析中统计。",
    ),
    Kpi(
        "case_answer_rate",
        "案例库解答率",
        "本月提出的问题中，当场引用以往案例答复的（引用已发布的典型案例或其他以往问题）",
        "本月提出的问题",
        "引用典型案例指所引用的问题已发布为典型案例；在热点分析中分别统计。",
    ),
    Kpi(
        "self_rating_rate",
        "企业自评率",
        "本月销号的问题中，由企业在服务页自行评价后销号的",
        "本月销号的问题（评价后销号 + 强制销号）",
        "撤单关闭的问题不计入；联系干部代企业录入的评价（代录）计入分母、不计入分子。",
        group=FIRM_VOICE,
    ),
    Kpi(
        "firm_satisfaction_rate",
        "满意率（企业自评）",
        "本月企业在服务页自行评价为满意或基本满意的次数",
        "本月企业自行评价的次数",
        "以评价次数计，同一问题重办后再次评价的每次都计入。",
        group=FIRM_VOICE,
    ),
    Kpi(
        "proxy_satisfaction_rate",
        "满意率（代录）",
        "本月联系干部或园区代企业录入为满意或基本满意的次数",
        "本月代录的评价次数（电话、上门或未注明方式）",
        "以评价次数计；与“满意率（企业自评）”对照，看两种来源是否一致。",
        group=FIRM_VOICE,
    ),
    Kpi(
        "withdrawal_genuine_rate",
        "撤单质检属实率",
        "本月完成的撤单质检中认定属实的",
        "本月完成的撤单质检（不论撤单发生在哪个月）",
        "撤单须经企业确认（服务页确认或电话确认），每件撤单都进入撤单质检；"
        "不属实的问题重新交办，并计入原承办部门。",
        group=FIRM_VOICE,
    ),
    Kpi(
        "callback_coverage",
        "回访抽查覆盖率",
        "本月回访抽查样本中已联系上企业完成回访的",
        "本月回访抽查样本（月初从上月销号问题中随机抽取）",
        "联系不上和尚未回访的计入分母、不计入分子；抽查比例默认10%、至少1件，各园区可调整。",
        group=FIRM_VOICE,
    ),
    Kpi(
        "verified_satisfaction_rate",
        "核实满意率",
        "本月回访抽查中企业表示满意或基本满意的",
        "本月回访抽查中已联系上企业的",
        "由园区管理员直接电话核实，用以检验回访评价的真实性。",
        group=FIRM_VOICE,
    ),
    Kpi(
        "policy_delivery_on_time",
        "政策送达及时率",
        "其中在送达期限当日或之前由联企干部送达的",
        "送达期限（政策发布后第15日）在本月内的政策，与符合其条件的在营企业组成的企业-政策对",
        "是否符合条件按统计时的企业信息判断；政策发布后才建档的企业不计入；企业在服务码页面自行查看、"
        "表态的不算送达；撤销的送达不计。",
        group=POLICIES,
    ),
)

# How the figures are counted, in every sheet of the workbook and on the dashboards (title, text).
CONVENTIONS = [
    (
        "统计期间",
        "按自然月统计，日期均为北京时间。“月末”指当月最后一天；本月尚未结束时按当日统计，报表标注“截至当日”。",
    ),
    (
        "月末状态",
        "问题的状态、承办部门、各项期限、三色预警、已用工作日和协调级别均按月末的情况统计。"
        "月份结账后按结账时冻结的月末数据统计，之后的办理、改派、督办、信息修改和规则调整不再改变该月数字。",
    ),
    (
        "问题按件计",
        "每个问题在同一张表的同一行中只计一件：改派多次或被多个部门经手的问题，汇总中计一件；"
        "部门办理表按月末承办部门计在办、超期和办结，本月收到按部门分别计（同一部门多次收到只计一件）。",
    ),
    (
        "无承办部门的问题",
        "待交办、被退回待改派和现场解决的问题没有承办部门，在部门办理表中单列一行，"
        "因此部门办理的合计与汇总一致。",
    ),
    (
        "干部与其他人员分开计",
        "联企干部数只计月末有联系企业的联系干部；园区管理人员等代为走访、反映问题的，在干部走访表中"
        "单独列示，不计入联企干部数和干部的覆盖率。",
    ),
    (
        "覆盖率以企业计",
        "联系企业为月末有联系干部的在营企业；同一企业本月多次联系或上门只计一次；"
        "停产、注销和迁出的企业不计入。",
    ),
    (
        "工作日",
        "签收、反馈、办结期限和已用工作日按国务院公布的法定节假日和调休安排计算；"
        "尚未公布调休安排的年份按《全国年节及纪念日放假办法》推算法定节假日，相关期限为暂定，另行注明。",
    ),
    (
        "数值修约",
        "比率以百分数表示，四舍五入保留一位小数；平均值保留一位小数；分母为 0 时不计算，显示为空。",
    ),
]


KPIS: dict[str, Kpi] = {k.key: k for k in DEFINITIONS}
if len(KPIS) != len(DEFINITIONS):  # two definitions under one key: the second would silently win
    raise RuntimeError("KPI keys must be unique")


def kpi(key: str) -> Kpi:
    """The definition of key (KeyError names the unknown key)."""
    try:
        return KPIS[key]
    except KeyError:
        raise KeyError(f"unknown KPI {key!r}; known: {', '.join(KPIS)}") from None
