from wtforms import BooleanField, IntegerField
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


class EvidenceForm(BaseForm):
    """现场佐证 of the park: on or off, and how far and how coarse a check-in may be."""

    evidence_enabled = BooleanField("上门走访采集现场佐证（定位和现场照片）")
    evidence_max_distance_m = IntegerField(
        "距企业最远距离（米）", validators=[NumberRange(50, 10_000, "请输入50到10000之间的米数")]
    )
    evidence_max_accuracy_m = IntegerField(
        "定位精度要求（米）", validators=[NumberRange(10, 2_000, "请输入10到2000之间的米数")]
    )
