"""Forms of the 共性问题 pages (CSRF and control characters through BaseForm; the services check the rest)."""

from typing import Any

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crm.forms import BaseForm, VersionField
from crm.models.knowledge import TEAM_KINDS
from crm.services.knowledge.group_rules import NOTE_MAX


def _id(value: Any) -> Any:
    """A picked id as a number (so the row's own value shows selected); junk is left to the service."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else (text or None)


class TeamForm(BaseForm):
    """The 专班 fields shared by confirming and editing a group."""

    title = StringField("共性问题名称", validators=[Length(max=200)])
    team_name = StringField("专班名称", validators=[Length(max=100)])
    team_kind = RadioField(
        "牵头方式", choices=list(TEAM_KINDS.items()), default="department", validate_choice=False
    )
    department_id = SelectField("牵头部门", coerce=_id, validate_choice=False)
    leader_id = SelectField("牵头领导", coerce=_id, validate_choice=False)
    due_on = DateField("联合办结期限", validators=[Optional()])

    def prepare(self, departments: list, leaders: list) -> "TeamForm":
        self.department_id.choices = [("", "请选择部门")] + [(str(d.id), d.name) for d in departments]
        self.leader_id.choices = [("", "请选择领导")] + [(str(u.id), u.name) for u in leaders]
        return self

    def team_data(self) -> dict[str, Any]:
        return {
            "title": self.title.data,
            "team_name": self.team_name.data,
            "team_kind": self.team_kind.data,
            "department_id": self.department_id.data,
            "leader_id": self.leader_id.data,
            "due_on": self.due_on.data.isoformat() if self.due_on.data else "",
        }


class ConfirmForm(TeamForm):
    description = TextAreaField("问题描述", validators=[Length(max=NOTE_MAX)])
    extra_ids = StringField("其他问题编号", validators=[Length(max=2000)])


class EditForm(TeamForm):
    version = VersionField()


class NoteForm(BaseForm):
    note = TextAreaField("说明", validators=[Length(max=NOTE_MAX)])
    version = VersionField()


class CloseForm(BaseForm):
    resolution = TextAreaField("办结情况", validators=[Length(max=NOTE_MAX)])
    version = VersionField()


class MembersForm(BaseForm):
    problem_ids = StringField("问题编号", validators=[Length(max=2000)])
    version = VersionField()
