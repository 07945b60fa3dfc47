from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from crm.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


class PasswordForm(BaseForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField(
        "确认新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("new_password", "两次输入的新密码不一致")],
    )
