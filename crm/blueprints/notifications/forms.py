from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.forms import BaseForm
from crm.models.notification import CHANNELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferencesForm(BaseForm):
    email = StringField(
        "电子邮箱",
        validators=[Optional(), Length(max=120, message="邮箱地址过长")],
    )
    channels = MultiCheckboxField("接收渠道", choices=list(CHANNELS.items()), validate_choice=False)
    daily_digest = BooleanField("每日汇总：外部渠道每天只发一条汇总，不逐条发送")
