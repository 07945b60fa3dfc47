"""Forms of the 典型案例库: CSRF, lengths and control characters here; every rule is the service's."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.forms import BaseForm, VersionField
from crm.models.problem import PROBLEM_CATEGORIES
from crm.services.knowledge.cases import BASIS_MAX, REASON_MAX, SUMMARY_MAX, TITLE_MAX

FIELDS = ("title", "category", "summary", "basis", "policy_id", "department_id", "tags")


class CaseForm(BaseForm):
    title = StringField("案例标题", validators=[DataRequired("请填写案例标题"), Length(max=TITLE_MAX)])
    category = SelectField("问题类别", choices=list(PROBLEM_CATEGORIES.items()), validate_choice=False)
    summary = TextAreaField(
        "解决经过（企业看得懂的话）",
        validators=[DataRequired("请填写解决经过"), Length(max=SUMMARY_MAX)],
        render_kw={"rows": 6},
    )
    basis = TextAreaField(
        "政策或规定依据", validators=[Optional(), Length(max=BASIS_MAX)], render_kw={"rows": 2}
    )
    policy_id = SelectField("关联政策（政策库）", validate_choice=False)
    department_id = SelectField("解决部门", validate_choice=False)
    # Long enough for ten tags of twenty characters with their separators; the service counts them.
    tags = StringField("标签", validators=[Optional(), Length(max=250)])

    def prepare(self, departments, policies) -> "CaseForm":
        """Fill the pickers: the departments serving the case's park, the policies the user sees."""
        self.department_id.choices = [("", "（不指定）")] + [(str(d.id), d.name) for d in departments]
        self.policy_id.choices = [("", "（不关联）")] + [(str(p.id), p.title) for p in policies]
        return self

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in FIELDS} | (
            {"version": self["version"].data} if "version" in self else {}
        )


class CaseEditForm(CaseForm):
    version = VersionField()


class WithdrawCaseForm(BaseForm):
    reason = StringField("撤下原因", validators=[DataRequired("请填写撤下原因"), Length(max=REASON_MAX)])
