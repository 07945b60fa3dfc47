from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from crm.forms import BaseForm
from crm.services.assignments.operations import HANDOVER_FIRST_VISIT_DAYS, HANDOVER_REASONS


def _cadre_id(value) -> int:
    """A chosen cadre's id; the empty "请选择" option (or junk) reads as 0, which DataRequired refuses."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class HandoverForm(BaseForm):
    from_cadre_id = SelectField(
        "移交人（原联系干部）", coerce=_cadre_id, validators=[DataRequired("请选择移交人")]
    )
    to_cadre_id = SelectField(
        "接收人（接替干部）", coerce=_cadre_id, validators=[DataRequired("请选择接收人")]
    )
    reason = SelectField(
        "交接原因",
        choices=[("", "请选择")] + list(HANDOVER_REASONS.items()),
        validators=[DataRequired("请选择交接原因")],
    )
    first_visit_days = IntegerField(
        "首次走访期限（天）",
        default=HANDOVER_FIRST_VISIT_DAYS,
        validators=[Optional(), NumberRange(1, 90, "请输入1到90之间的天数")],
    )
    note = TextAreaField("交接说明", validators=[Optional()])
    # The fingerprint of the preview being confirmed (empty: show the preview first).
    token = HiddenField()
