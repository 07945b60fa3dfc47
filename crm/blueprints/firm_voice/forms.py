"""Forms of the 企业之声 pages; the services check the values (Chinese messages)."""

from wtforms import HiddenField, RadioField, StringField, TextAreaField

from crm.forms import BaseForm, VersionField


class RevokeForm(BaseForm):
    reason = StringField("作废原因", render_kw={"maxlength": 200, "placeholder": "如：服务码卡片遗失"})


class CallbackForm(BaseForm):
    status = RadioField(
        "回访结果", choices=[("reached", "已回访"), ("unreachable", "联系不上")], validate_choice=False
    )
    confirmed = RadioField(
        "企业是否确认已解决", choices=[("yes", "确认"), ("no", "不认可")], validate_choice=False
    )
    satisfaction = RadioField(
        "满意程度",
        choices=[("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")],
        validate_choice=False,
    )
    note = TextAreaField("回访说明", render_kw={"rows": 2, "maxlength": 500})
    version = VersionField()
    next = HiddenField()


class PortalSettingsForm(BaseForm):
    callback_percent = StringField("回访抽查比例（%）", render_kw={"inputmode": "numeric"})
    callback_min = StringField("每月至少抽查（件）", render_kw={"inputmode": "numeric"})
    rating_reminder_days = StringField("办结后几个工作日未评价提醒回访", render_kw={"inputmode": "numeric"})
