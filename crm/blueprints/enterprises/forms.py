from decimal import Decimal

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Field,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from crm.forms import BaseForm, VersionField
from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.models.profile import QUALIFICATIONS


def _finite(_form, field) -> None:
    """Stop at the first problem of a number: unreadable ("abc"), or "NaN"/"Infinity" (which parse)."""
    if field.process_errors:
        raise StopValidation()  # "请输入整数" is already there; the range check would add a wrong one
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation("请输入有效的数字")


def _choices(mapping: dict[str, str], blank: str = "请选择") -> list[tuple[str, str]]:
    return [("", blank)] + list(mapping.items())


class QualificationsForm(Form):
    """One tick and one 认定年份 per qualification of the reference list (fields <code> and <code>_year)."""

    def items(self) -> list[tuple[str, Field, Field]]:
        return [(label, self[code], self[f"{code}_year"]) for code, label in QUALIFICATIONS.items()]

    def data_for_service(self) -> dict[str, str]:
        """{code: year as typed} for the ticked ones (the service checks the years)."""
        return {code: (self[f"{code}_year"].data or "").strip() for code in QUALIFICATIONS if self[code].data}

    def fill(self, held: dict[str, int | None]) -> None:
        for code, year in held.items():
            if code in QUALIFICATIONS:
                self[code].data = True
                self[f"{code}_year"].data = str(year) if year else ""


for _code, _label in QUALIFICATIONS.items():
    setattr(QualificationsForm, _code, BooleanField(_label))
    _year = StringField("认定年份", validators=[Optional(), Length(max=4)])
    setattr(QualificationsForm, f"{_code}_year", _year)


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
    quals = FormField(QualificationsForm, "资质")
    tag_ids = SelectMultipleField("标签", coerce=int, validate_choice=False)
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)])
    version = VersionField()  # the firm's version when the form was opened (stale edits are refused)

    def data_for_service(self) -> dict:
        data = {name: f.data for name, f in self._fields.items() if name not in ("csrf_token", "quals")}
        profile = {"qualifications": self.quals.form.data_for_service(), "tag_ids": self.tag_ids.data or []}
        return data | profile


class AssignForm(BaseForm):
    cadre_id = SelectField("联系干部", coerce=int, validators=[DataRequired("请选择联系干部")])
    reason = StringField("原因", validators=[Optional(), Length(max=300)])


class UnassignForm(BaseForm):
    reason = StringField("解除原因", validators=[DataRequired("请填写解除联系的原因"), Length(max=300)])
