from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from crm.models.user import ROLES


def optional_int(value):
    """'' or None -> None; digits -> int; anything else is refused with a Chinese message."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    if not str(value).isdigit():
        raise ValueError("选项无效")
    return int(value)


class ChoiceField(SelectField):
    """A SelectField whose refusals are in Chinese (WTForms' own messages are English)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "SelectField"  # the form macros style fields by type

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("请从列表中选择") from None

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("选项无效") from None


class UserEditForm(FlaskForm):
    name = StringField(
        "姓名",
        validators=[
            DataRequired("请输入姓名"),
            Length(max=64, message="姓名不能超过64字"),
        ],
    )
    role = ChoiceField("角色", choices=list(ROLES.items()))
    park_id = ChoiceField("所属园区", coerce=optional_int)
    department_id = ChoiceField("所属部门", coerce=optional_int)
    phone = StringField(
        "手机号",
        validators=[
            Optional(),
            Regexp(r"^[0-9+\- ]{5,20}$", message="请输入有效的电话号码（数字，可含 - 和 +）"),
        ],
    )


class UserCreateForm(UserEditForm):
    role = ChoiceField("角色", choices=list(ROLES.items()), default="cadre")
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请输入用户名"),
            Length(max=64, message="用户名不能超过64位"),
            Regexp(r"^[A-Za-z0-9_.@-]+$", message="用户名只能包含字母、数字和 _ . - @"),
        ],
    )
    password = PasswordField("初始密码", validators=[DataRequired("请输入初始密码")])
    confirm = PasswordField(
        "确认密码",
        validators=[
            DataRequired("请再次输入密码"),
            EqualTo("password", "两次输入的密码不一致"),
        ],
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField(
        "确认新密码",
        validators=[
            DataRequired("请再次输入新密码"),
            EqualTo("password", "两次输入的密码不一致"),
        ],
    )
