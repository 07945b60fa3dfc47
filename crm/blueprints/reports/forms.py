from datetime import date, timedelta

from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired

from crm.forms import BaseForm
from crm.models import Park

MONTHS_BACK = 24
ALL_PARKS = "all"


def month_choices(today: date) -> list[tuple[str, str]]:
    """This month (so far) and the 24 before it, newest first."""
    out, day = [], today.replace(day=1)
    for i in range(MONTHS_BACK + 1):
        label = f"{day.year}年{day.month}月" + ("（截至今天）" if i == 0 else "")
        out.append((f"{day:%Y-%m}", label))
        day = (day - timedelta(days=1)).replace(day=1)
    return out


class ReportForm(BaseForm):
    month = SelectField("月份", validators=[DataRequired("请选择月份")], validate_choice=False)
    park = SelectField("范围", validate_choice=False)

    def setup(self, today: date, parks: list[Park], all_parks: bool) -> "ReportForm":
        """Choices for this user: months, and the parks in scope (plus 全部园区 for city-wide users)."""
        self.month.choices = month_choices(today)
        choices = [(ALL_PARKS, "全部园区")] if all_parks else []
        self.park.choices = choices + [(str(p.id), p.name) for p in parks]
        if not self.is_submitted():
            self.month.data = self.month.choices[1][0]  # last month: the usual report
        return self

    def chosen_park(self, parks: list[Park]) -> tuple[bool, Park | None]:
        """(valid, park): park None means all parks; invalid when the choice is not in scope."""
        choices = self.park.choices
        assert isinstance(choices, list), "setup() sets the choices as a list"
        if self.park.data == ALL_PARKS and choices[0][0] == ALL_PARKS:
            return True, None
        park = next((p for p in parks if str(p.id) == self.park.data), None)
        return park is not None, park


class CloseMonthForm(BaseForm):
    """结账: nothing to fill in but the CSRF token (the button confirms first)."""


class ReopenMonthForm(BaseForm):
    reason = TextAreaField("重新结账原因", validators=[DataRequired("请填写重新结账的原因")])


class CloseDayForm(BaseForm):
    workday = IntegerField("结账日：次月第几个工作日", validators=[DataRequired("请填写1到10之间的整数")])
