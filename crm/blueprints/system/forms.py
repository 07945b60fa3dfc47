from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from crm.forms import BaseForm
from crm.services.notifications.channels import SECURITY


class ChannelsForm(BaseForm):
    base_url = StringField("系统访问地址", validators=[Optional(), Length(max=300)])
    email_enabled = BooleanField("开启电子邮件")
    email_host = StringField("SMTP 服务器", validators=[Optional(), Length(max=200)])
    email_port = IntegerField(
        "端口", default=25, validators=[Optional(), NumberRange(1, 65535, "端口应为1到65535之间的整数")]
    )
    email_security = SelectField("加密方式", choices=list(SECURITY.items()), default="none")
    email_username = StringField("登录用户名", validators=[Optional(), Length(max=200)])
    email_sender = StringField("发件人地址", validators=[Optional(), Length(max=200)])
    # The password, webhook addresses and signing secret are environment variables, not form fields.
    wecom_enabled = BooleanField("开启企业微信群机器人")
    dingtalk_enabled = BooleanField("开启钉钉群机器人")


class ChannelTestForm(BaseForm):
    to_email = StringField("测试收件邮箱", validators=[Optional(), Length(max=120)])
