from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from crm.forms import BaseForm
from crm.models.user import LEADER_LEVELS, ROLES


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


class UserEditForm(BaseForm):
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
    is_dept_head = BooleanField("部门负责人")
    leader_level = ChoiceField(
        "领导级别", choices=[("", "无（非领导）")] + list(LEADER_LEVELS.items()), coerce=optional_int
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


class PasswordResetForm(BaseForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField(
        "确认新密码",
        validators=[
            DataRequired("请再次输入新密码"),
            EqualTo("password", "两次输入的密码不一致"),
        ],
    )


class DayField(DateField):
    """A date field whose refusal is in Chinese (WTForms' own message is English)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("日期无效，请按“年-月-日”填写") from None


class CalendarDayForm(BaseForm):
    day = DayField("日期", validators=[InputRequired("请选择日期")])
    kind = ChoiceField("类型", choices=[("holiday", "休息日（放假）"), ("workday", "工作日（调休上班）")])
    name = StringField("名称", validators=[Optional(), Length(max=50, message="名称不能超过50字")])
    year = HiddenField()


class NoticeForm(BaseForm):
    text = TextAreaField("按行录入", validators=[DataRequired("请输入至少一行")])
    # The notice's year when its title is not pasted (the title's year is used otherwise).
    notice_year = IntegerField(
        "通知年份",
        validators=[Optional(), NumberRange(2000, 2100, message="年份应在2000–2100之间")],
    )
    year = HiddenField()


class CsrfForm(BaseForm):
    """A form with only the CSRF token, for pages whose fields a service validates (问题办理规则)."""


class ParkForm(BaseForm):
    code = StringField(
        "园区代码",
        validators=[DataRequired("请填写园区代码"), Length(max=32, message="园区代码不能超过32位")],
    )
    name = StringField(
        "园区名称",
        validators=[DataRequired("请填写园区名称"), Length(max=100, message="园区名称不能超过100字")],
    )


class ChainForm(BaseForm):
    name = StringField(
        "产业链名称",
        validators=[DataRequired("请填写产业链名称"), Length(max=50, message="产业链名称不能超过50字")],
    )
    # Checked by the service (0–9999), whose message is Chinese; an IntegerField would answer in English.
    sort_order = StringField("排序", default="0")


class HeadsField(SelectMultipleField):
    """Check boxes of ids; a refusal is in Chinese."""

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


class DepartmentForm(BaseForm):
    name = StringField(
        "部门名称",
        validators=[DataRequired("请填写部门名称"), Length(max=100, message="部门名称不能超过100字")],
    )
    park_id = ChoiceField("层级", coerce=optional_int)
    heads = HeadsField("部门负责人", coerce=int)
