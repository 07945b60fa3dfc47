from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from crm.forms import BaseForm


class CadenceForm(BaseForm):
    contact_days = IntegerField("联系周期（天）", validators=[NumberRange(1, 60, "请输入1到60之间的天数")])
    key_contact_days = IntegerField(
        "重点企业联系周期（天）", validators=[Optional(), NumberRange(1, 60, "请输入1到60之间的天数")]
    )
    key_onsite_days = IntegerField(
        "重点企业上门走访周期（天）", validators=[Optional(), NumberRange(1, 31, "请输入1到31之间的天数")]
    )
    due_soon_days = IntegerField("提前提醒（天）", validators=[NumberRange(0, 15, "请输入0到15之间的天数")])
    visit_edit_days = IntegerField(
        "走访记录可修改期限（天）", validators=[NumberRange(0, 90, "请输入0到90之间的天数")]
    )
