"""Forms of the four lists and of raising a problem.

Numbers, periods and codes are checked by the very parsers the services use, so a phone user sees
the service's Chinese message next to the field instead of a flash after the round trip.
"""

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm.forms import BaseForm, VersionField
from crm.models.lists import TECH_KINDS, TECH_STATUSES
from crm.models.problem import PROBLEM_CATEGORIES, PROBLEM_SOURCES, PROBLEM_URGENCIES
from crm.services import ServiceError
from crm.services.common.validators import parse_choice, parse_decimal, parse_period
from crm.services.enterprises.lists import (
    NOTE_MAX,
    PRODUCT_LABELS,
    SALES_LABELS,
    TECH_LABELS,
)
from crm.services.enterprises.products import RETIRE_REASON_MAX
from crm.services.problems.intake import DESCRIPTION_MAX, PROBLEM_LABELS
from crm.timeutil import today

NUMBER_INPUT = {"inputmode": "decimal", "autocomplete": "off"}


class ServiceCheck:
    """Validator running a service parser on the raw value; its ServiceError becomes the field error."""

    def __init__(self, parse: Callable[[Any], Any], required: bool = False):
        self.parse = parse
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form: FlaskForm, field: Any) -> None:
        try:
            self.parse(field.data)
        except ServiceError as exc:
            raise ValidationError(str(exc)) from None


def _length(label: str, max_len: int) -> Length:
    return Length(max=max_len, message=f"{label}不能超过{max_len}字")


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [("", "请选择")] + list(mapping.items())


class ListForm(BaseForm):
    def data_for_service(self) -> dict:
        """The fields as the service's data dict (raw strings; the service normalises them)."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ItemForm(ListForm):
    """A list item's form: carries the item's version when opened, so a stale save is refused."""

    version = VersionField()


class ProductForm(ItemForm):
    name = StringField(
        PRODUCT_LABELS["name"],
        validators=[DataRequired("请输入产品名称"), _length(PRODUCT_LABELS["name"], 200)],
    )
    category = StringField(
        PRODUCT_LABELS["category"], validators=[Optional(), _length(PRODUCT_LABELS["category"], 100)]
    )
    capacity = StringField(
        PRODUCT_LABELS["capacity"],
        validators=[ServiceCheck(lambda v: parse_decimal(v, PRODUCT_LABELS["capacity"]))],
        render_kw=NUMBER_INPUT,
    )
    unit = StringField(PRODUCT_LABELS["unit"], validators=[Optional(), _length(PRODUCT_LABELS["unit"], 32)])
    main_market = StringField(
        PRODUCT_LABELS["main_market"], validators=[Optional(), _length(PRODUCT_LABELS["main_market"], 200)]
    )
    note = TextAreaField(
        PRODUCT_LABELS["note"], validators=[Optional(), _length("备注", NOTE_MAX)], render_kw={"rows": 2}
    )


class RetireForm(ItemForm):
    """停产/下架 a product: the day it stopped (today unless told) and why."""

    retired_on = StringField(
        PRODUCT_LABELS["retired_on"],
        validators=[DataRequired("请填写停产/下架日期")],
        render_kw={"type": "date", "autocomplete": "off"},
    )
    reason = StringField(
        "停产/下架原因",
        validators=[Optional(), _length("停产/下架原因", RETIRE_REASON_MAX)],
        render_kw={"placeholder": "如：订单转向新型号、市场需求下降"},
    )


class SalesForm(ItemForm):
    period = StringField(
        SALES_LABELS["period"],
        validators=[ServiceCheck(lambda v: parse_period(v, today()), required=True)],
        render_kw={"type": "month", "placeholder": "2026-10", "autocomplete": "off"},
    )
    product = StringField(
        SALES_LABELS["product"], validators=[Optional(), _length(SALES_LABELS["product"], 200)]
    )
    market = StringField(
        SALES_LABELS["market"], validators=[Optional(), _length(SALES_LABELS["market"], 200)]
    )
    amount = StringField(
        "销售金额（万元）",
        validators=[ServiceCheck(lambda v: parse_decimal(v, SALES_LABELS["amount"], required=True), True)],
        render_kw=NUMBER_INPUT,
    )
    quantity = StringField(
        SALES_LABELS["quantity"],
        validators=[ServiceCheck(lambda v: parse_decimal(v, SALES_LABELS["quantity"]))],
        render_kw=NUMBER_INPUT,
    )
    note = TextAreaField(
        SALES_LABELS["note"], validators=[Optional(), _length("备注", NOTE_MAX)], render_kw={"rows": 2}
    )


class TechForm(ItemForm):
    # 技术需求 first and preselected on a new item (TECH_KIND_DEFAULT): what a cadre brings back most often.
    kind = SelectField(
        TECH_LABELS["kind"],
        choices=list(TECH_KINDS.items()),
        validate_choice=False,
        validators=[ServiceCheck(lambda v: parse_choice(v, TECH_LABELS["kind"], TECH_KINDS), required=True)],
    )
    title = StringField(
        TECH_LABELS["title"], validators=[DataRequired("请输入名称"), _length(TECH_LABELS["title"], 200)]
    )
    detail = TextAreaField(
        TECH_LABELS["detail"], validators=[Optional(), _length(TECH_LABELS["detail"], NOTE_MAX)]
    )
    partner = StringField(
        TECH_LABELS["partner"],
        validators=[Optional(), _length(TECH_LABELS["partner"], 200)],
        render_kw={"placeholder": "如：湘潭大学"},
    )
    status = SelectField(
        TECH_LABELS["status"],
        choices=list(TECH_STATUSES.items()),
        default="pending",
        validate_choice=False,
        validators=[ServiceCheck(lambda v: parse_choice(v, TECH_LABELS["status"], TECH_STATUSES, "pending"))],
    )


TECH_KIND_DEFAULT = "demand"
# 问题来源 preselected by role: a cadre raises what a visit brought up; the park office mostly records
# what a firm told it by phone. Either may pick another.
PROBLEM_SOURCE_DEFAULTS = {"cadre": "visit", "officer": "phone", "admin": "phone"}


def problem_source_default(role: str) -> str:
    """The 问题来源 preselected for a user of this role."""
    return PROBLEM_SOURCE_DEFAULTS.get(role, "visit")


class ProblemForm(ListForm):
    title = StringField(
        PROBLEM_LABELS["title"],
        validators=[DataRequired("请输入问题标题"), _length(PROBLEM_LABELS["title"], 200)],
        render_kw={"placeholder": "一句话说明问题"},
    )
    category = SelectField(
        PROBLEM_LABELS["category"],
        choices=_choices(PROBLEM_CATEGORIES),
        validate_choice=False,
        validators=[
            ServiceCheck(lambda v: parse_choice(v, PROBLEM_LABELS["category"], PROBLEM_CATEGORIES), True)
        ],
    )
    urgency = SelectField(
        PROBLEM_LABELS["urgency"],
        choices=list(PROBLEM_URGENCIES.items()),
        default="normal",
        validate_choice=False,
        validators=[
            ServiceCheck(lambda v: parse_choice(v, PROBLEM_LABELS["urgency"], PROBLEM_URGENCIES, "normal"))
        ],
    )
    # Preselected on a new form by who raises it (problem_source_default); a post without it is refused.
    source = SelectField(
        PROBLEM_LABELS["source"],
        choices=_choices(PROBLEM_SOURCES),
        validate_choice=False,
        validators=[ServiceCheck(lambda v: parse_choice(v, PROBLEM_LABELS["source"], PROBLEM_SOURCES), True)],
    )
    description = TextAreaField(
        PROBLEM_LABELS["description"],
        validators=[DataRequired("请描述问题"), _length(PROBLEM_LABELS["description"], DESCRIPTION_MAX)],
        render_kw={"rows": 5, "placeholder": "企业诉求、涉及部门、已做的工作等"},
    )
    files = MultipleFileField("附件（照片、材料）")
    # 现场解答: an earlier solved problem picked among the similar ones (static/js/similar.js), its answer.
    answered_from = HiddenField()
    answer_note = TextAreaField("现场解答内容", validators=[Optional(), _length("现场解答内容", 2000)])

    def data_for_service(self) -> dict:
        return {k: v for k, v in super().data_for_service().items() if k != "files"}

    def uploads(self) -> list:
        return [f for f in (self.files.data or []) if getattr(f, "filename", None)]
