from decimal import Decimal

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from crm.forms import BaseForm, VersionField
from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES


def _finite(_form, field) -> None:
    """Stop at the first problem of a number: unreadable ("abc"), or "NaN"/"Infinity" (which parse)."""
    if field.process_errors:
        raise StopValidation()  # "请输入整数" is already there; the range check would add a wrong one
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation("请输入有效的数字")


def _choices(mapping: dict[str, str], blank: str = "请选择") -> list[tuple[str, str]]:
    return [("", blank)] + list(mapping.items())


class EnterpriseForm(BaseForm):
    name = StringField("企业名称", validators=[DataRequired("请输入企业名称"), Length(max=200)])
    credit_code = StringField(
        "统一社会信用代码", validators=[DataRequired("请输入统一社会信用代码"), Length(max=30)]
    )
    legal_rep = StringField("法定代表人", validators=[Optional(), Length(max=64)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=64)])
    address = StringField("地址", validators=[Optional(), Length(max=300)])
    park_id = SelectField("所属园区", coerce=int, validate_choice=True)
    chain_id = SelectField("所属产业链", coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    scale_type = SelectField("规模类型", choices=_choices(SCALE_TYPES))
    size = SelectField("企业规模", choices=_choices(SIZES))
    status = SelectField("经营状态", choices=list(STATUSES.items()))
    is_key = BooleanField("重点企业")
    founded_on = DateField("成立日期", validators=[Optional()])
    headcount = IntegerField(
        "从业人数", validators=[Optional(), _finite, NumberRange(min=0, message="从业人数不能为负数")]
    )
    output_last_year = DecimalField(
        "上年产值（万元）",
        places=2,
        validators=[Optional(), _finite, NumberRange(min=0, message="产值不能为负数")],
    )
    tax_last_year = DecimalField(
        "上年税收（万元）",
        places=2,
        validators=[Optional(), _finite, NumberRange(min=0, message="税收不能为负数")],
    )
    tags = StringField("标签", validators=[Optional(), Length(max=300)])
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)])
    version = VersionField()  # the firm's version when the form was opened (stale edits are refused)

    def data_for_service(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class AssignForm(BaseForm):
    cadre_id = SelectField("联系干部", coerce=int, validators=[DataRequired("请选择联系干部")])
    reason = StringField("原因", validators=[Optional(), Length(max=300)])


class UnassignForm(BaseForm):
    reason = StringField("解除原因", validators=[DataRequired("请填写解除联系的原因"), Length(max=300)])
