from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from crm.forms import BaseForm, VersionField
from crm.models.enterprise import SCALE_TYPES, SIZES
from crm.models.policy import BENEFIT_KINDS, DEFAULT_REMIND_DAYS, LEVELS
from crm.models.profile import QUALIFICATIONS
from crm.services.policies.library import BODY_MAX, SUMMARY_MAX


def _finite(_form, field) -> None:
    if field.process_errors:
        raise StopValidation()
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation("请输入有效的数字")


def _many(label: str, coerce=str) -> SelectMultipleField:
    return SelectMultipleField(label, coerce=coerce, validate_choice=False)


class PolicyForm(BaseForm):
    title = StringField("政策名称", validators=[DataRequired("请填写政策名称"), Length(max=200)])
    issuer = StringField("发文机关", validators=[DataRequired("请填写发文机关"), Length(max=100)])
    level = SelectField("政策层级", choices=[("", "请选择")] + list(LEVELS.items()))
    doc_no = StringField("文号", validators=[Optional(), Length(max=100)])
    summary = TextAreaField("政策要点", validators=[DataRequired("请填写政策要点"), Length(max=SUMMARY_MAX)])
    body = TextAreaField("政策全文", validators=[Optional(), Length(max=BODY_MAX)])
    file = FileField("政策文件（PDF、Word等）")
    valid_from = DateField("有效期起", validators=[Optional()])
    valid_to = DateField("有效期止", validators=[Optional()])
    apply_from = DateField("申报开始", validators=[Optional()])
    apply_to = DateField("申报截止", validators=[Optional()])
    benefit_kind = SelectField("支持方式", choices=[("", "请选择")] + list(BENEFIT_KINDS.items()))
    max_amount = DecimalField(
        "最高支持金额（万元）",
        places=2,
        validators=[Optional(), _finite, NumberRange(min=0, message="金额不能为负数")],
    )
    contact = StringField("咨询方式", validators=[Optional(), Length(max=200)])
    remind_days = IntegerField(
        "截止前提醒天数",
        default=DEFAULT_REMIND_DAYS,
        validators=[Optional(), _finite, NumberRange(min=1, max=90, message="提醒天数应在1至90之间")],
    )
    # Only admins choose (the service gives an officer's policy their park); the service checks the park.
    park_id = SelectField(
        "所属", coerce=lambda v: int(v) if v not in (None, "", "None") else None, validate_choice=False
    )
    # Conditions: nothing ticked in a kind means any.
    park_ids = _many("适用园区", int)
    chain_ids = _many("适用产业链", int)
    sizes = _many("企业规模")
    scale_type = SelectField("规模类型", choices=[("", "不限")] + list(SCALE_TYPES.items()))
    qualifications = _many("资质要求（具备其一即可）")
    qualified_since = IntegerField(
        "资质认定年份不早于",
        validators=[Optional(), _finite, NumberRange(min=1990, max=2100, message="年份无效")],
    )
    tag_ids = _many("标签要求（具备其一即可）", int)
    founded_from = DateField("成立日期不早于", validators=[Optional()])
    founded_to = DateField("成立日期不晚于", validators=[Optional()])
    version = VersionField()

    def prepare(self, parks, chains, tags, admin: bool) -> "PolicyForm":
        self.park_id.choices = [("", "全市（所有园区）")] + [(p.id, p.name) for p in parks] if admin else []
        self.park_ids.choices = [(p.id, p.name) for p in parks]
        self.chain_ids.choices = [(c.id, c.name) for c in chains]
        self.sizes.choices = list(SIZES.items())
        self.qualifications.choices = list(QUALIFICATIONS.items())
        self.tag_ids.choices = [(t.id, t.name) for t in tags]
        return self

    def fill(self, policy) -> None:
        """The policy's condition lists into the pickers (GET of the edit page)."""
        self.park_ids.data = [p.id for p in policy.parks]
        self.chain_ids.data = [c.id for c in policy.chains]
        self.sizes.data = policy.size_codes
        self.qualifications.data = policy.qualification_codes
        self.tag_ids.data = [t.id for t in policy.tags]

    def data_for_service(self, admin: bool) -> dict:
        skip = {"csrf_token", "file"} | (set() if admin else {"park_id"})
        return {name: f.data for name, f in self._fields.items() if name not in skip}


class WithdrawForm(BaseForm):
    reason = StringField("撤回原因", validators=[DataRequired("请填写撤回原因"), Length(max=300)])


class StepForm(BaseForm):
    """A step on a firm–policy pair; which fields count is the step's (crm.models.policy_workflow)."""

    on = StringField("日期", validators=[Optional(), Length(max=10)])
    reason = StringField("原因", validators=[Optional(), Length(max=300)])
    amount = StringField("兑现金额（万元）", validators=[Optional(), Length(max=20)])


class PolicyImportForm(BaseForm):
    file = FileField("政策表（.xlsx 或 .csv）")


class TagForm(BaseForm):
    name = StringField("标签名称", validators=[DataRequired("请填写标签名称"), Length(max=30)])
    sort_order = IntegerField(
        "排序",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=9999, message="排序应为0到9999之间的整数")],
    )
