"""The one form behind every workflow step: the service validates the values (Chinese messages)."""

from wtforms import HiddenField, MultipleFileField, StringField, TextAreaField

from crm.forms import BaseForm, VersionField


class ActionForm(BaseForm):
    note = TextAreaField("说明")
    department_id = StringField("承办部门")
    handler_id = StringField("经办人")
    days = StringField("延期天数")
    evaluation = StringField("企业评价")
    channel = StringField("回访方式")  # 代录: how the firm was asked (电话/上门)
    verdict = StringField("质检结果")  # 撤单质检: 属实/不属实
    level = StringField("协调级别")
    answered_from = StringField("引用案例")  # 现场解决: the earlier problem whose answer was given
    version = VersionField()
    next = HiddenField()
    files = MultipleFileField("附件")

    def data_for_service(self) -> dict:
        """The step's data for apply_action (raw strings; blank fields left out, but never the version:
        a step posted without one must be refused, not taken as a scheduler's)."""
        names = (
            "note",
            "department_id",
            "handler_id",
            "days",
            "evaluation",
            "channel",
            "verdict",
            "level",
            "answered_from",
        )
        data = {name: self[name].data for name in names if (self[name].data or "").strip()}
        return data | {"version": self.version.data or ""}

    def uploads(self) -> list:
        return [f for f in (self.files.data or []) if getattr(f, "filename", None)]
