"""The firm page's forms: CSRF and control characters here; every rule is the services' (Chinese messages)."""

from wtforms import MultipleFileField, RadioField, SelectField, StringField, TextAreaField

from crm.forms import BaseForm, VersionField
from crm.models.problem import EVALUATIONS, PROBLEM_CATEGORIES


class SubmitForm(BaseForm):
    category = SelectField(
        "诉求类别", choices=[("", "请选择")] + list(PROBLEM_CATEGORIES.items()), validate_choice=False
    )
    title = StringField("标题", render_kw={"maxlength": 200, "placeholder": "一句话说明诉求"})
    description = TextAreaField(
        "具体情况",
        render_kw={"rows": 5, "maxlength": 5000, "placeholder": "遇到了什么问题、希望得到什么帮助"},
    )
    contact_name = StringField("联系人", render_kw={"maxlength": 64, "autocomplete": "name"})
    contact_phone = StringField(
        "联系电话", render_kw={"maxlength": 32, "inputmode": "tel", "autocomplete": "tel", "type": "tel"}
    )
    wished_on = StringField("希望办结时间（选填）", render_kw={"type": "date"})
    files = MultipleFileField("照片或PDF（选填）")

    def data_for_service(self) -> dict:
        names = ("category", "title", "description", "contact_name", "contact_phone", "wished_on")
        return {name: self[name].data for name in names}

    def uploads(self) -> list:
        return [f for f in (self.files.data or []) if getattr(f, "filename", None)]


class RateForm(BaseForm):
    evaluation = RadioField("您对办理结果的评价", choices=list(EVALUATIONS.items()), validate_choice=False)
    note = TextAreaField("意见或建议（不满意时必填）", render_kw={"rows": 3, "maxlength": 500})
    version = VersionField()


class WithdrawalForm(BaseForm):
    answer = RadioField(
        "是否同意撤单",
        choices=[("agree", "同意撤单（问题不再办理）"), ("decline", "不同意，请继续办理")],
        validate_choice=False,
    )
    note = TextAreaField("说明（选填）", render_kw={"rows": 2, "maxlength": 500})
    version = VersionField()


class PolicyAnswerForm(BaseForm):
    """The firm's answer to a policy (which one comes from the button pressed)."""

    reason = StringField("原因（选填）", render_kw={"maxlength": 300, "placeholder": "如：暂无扩产计划"})
