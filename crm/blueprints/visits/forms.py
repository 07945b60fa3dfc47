from wtforms import (
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from crm.forms import BaseForm, VersionField
from crm.models.lists import TECH_KINDS
from crm.models.problem import PROBLEM_CATEGORIES, PROBLEM_URGENCIES
from crm.models.visit import VISIT_KINDS
from crm.services.visits.geo import DATUMS
from crm.services.visits.records import PARTICIPANTS_MAX, TEXT_MAX


def _text(label: str, max_len: int = 200) -> StringField:
    return StringField(
        label, validators=[Optional(), Length(max=max_len, message=f"{label}不能超过{max_len}字")]
    )


class _Section(Form):
    """An optional part of the visit form; it counts as filled when its key field is non-empty."""

    key = ""
    # Fields that hold what the user typed (selects with a default do not count).
    typed: tuple[str, ...] = ()

    def is_filled(self) -> bool:
        return bool((self[self.key].data or "").strip())

    def has_typing(self) -> bool:
        return any((self[name].data or "").strip() for name in self.typed)

    def data_for_service(self) -> dict:
        return {name: field.data for name, field in self._fields.items()}


class ProductSection(_Section):
    key, typed = "name", ("name", "category", "capacity", "unit", "main_market")
    name = _text("产品名称")
    category = _text("产品类别", 100)
    capacity = _text("产能", 30)
    unit = _text("单位", 32)
    main_market = _text("主要市场")


class SalesSection(_Section):
    key, typed = "period", ("period", "product", "market", "amount", "quantity")
    period = _text("销售期间", 7)
    product = _text("产品")
    market = _text("市场/客户")
    amount = _text("销售金额（万元）", 30)
    quantity = _text("数量", 30)


class TechSection(_Section):
    key, typed = "title", ("title", "detail", "partner")
    kind = SelectField("类型", choices=list(TECH_KINDS.items()), default="demand", validate_choice=False)
    title = _text("名称")
    detail = TextAreaField("详细说明", validators=[Optional(), Length(max=2000)])
    partner = _text("合作单位（如高校、院所）")


class ProblemSection(_Section):
    key, typed = "title", ("title", "description")
    title = _text("问题标题")
    description = TextAreaField("问题描述", validators=[Optional(), Length(max=5000)])
    category = SelectField(
        "问题类别", choices=[("", "请选择")] + list(PROBLEM_CATEGORIES.items()), validate_choice=False
    )
    urgency = SelectField(
        "紧急程度", choices=list(PROBLEM_URGENCIES.items()), default="normal", validate_choice=False
    )
    # 现场解答: an earlier solved problem picked among the similar ones (static/js/similar.js), its answer.
    answered_from = HiddenField()
    answer_note = TextAreaField("现场解答内容", validators=[Optional(), Length(max=2000)])


SECTIONS = {
    "product": ("添加产品", "产品名称"),
    "sales": ("添加销售记录", "销售期间"),
    "tech": ("添加技术需求/成果", "名称"),
    "problem": ("反映问题", "问题标题"),
}


class VisitFields(BaseForm):
    """What logging a visit and correcting one have in common."""

    visited_on = StringField("走访日期", validators=[DataRequired("请填写走访日期")])
    kind = RadioField(
        "走访方式",
        choices=list(VISIT_KINDS.items()),
        default="onsite",
        validators=[DataRequired("请选择走访方式")],
    )
    participants = StringField(
        "参与人员", validators=[Optional(), Length(max=PARTICIPANTS_MAX, message="参与人员不能超过300字")]
    )
    summary = TextAreaField(
        "走访情况", validators=[DataRequired("请填写走访情况"), Length(max=TEXT_MAX, message="走访情况太长")]
    )
    findings = TextAreaField("发现与建议", validators=[Optional(), Length(max=TEXT_MAX)])
    files = MultipleFileField("照片/附件")
    # 现场照片: the camera input of an on-site visit (capture="environment" opens the camera on a phone).
    photos = MultipleFileField("现场照片")

    def visit_data(self) -> dict:
        return {
            name: self[name].data for name in ("visited_on", "kind", "participants", "summary", "findings")
        }

    def uploads(self) -> list:
        chosen = [*(self.photos.data or []), *(self.files.data or [])]
        return [f for f in chosen if getattr(f, "filename", None)]


class VisitEditForm(VisitFields):
    """Correcting a visit: carries the visit's version when opened, so a stale save is refused."""

    version = VersionField()

    def visit_data(self) -> dict:
        return super().visit_data() | {"version": self.version.data or ""}


class VisitForm(VisitFields):
    # Filled by the page's script: the id this visit keeps through retries and drafts, and the
    # device's location (read by the service, which checks every value).
    client_id = HiddenField()
    latitude = HiddenField()
    longitude = HiddenField()
    accuracy = HiddenField()
    located_at = HiddenField()
    # 送政策: the firm's 待送达 policies ticked as delivered on this visit (offline drafts carry them too).
    policies = SelectMultipleField("本次送达的政策", coerce=int, validate_choice=False)
    product = FormField(ProductSection)
    sales = FormField(SalesSection)
    tech = FormField(TechSection)
    problem = FormField(ProblemSection)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, (title, key_label) in SECTIONS.items():
            section = self[name].form
            if section.has_typing() and not section.is_filled():
                section[section.key].errors.append(f"请填写{key_label}，或清空「{title}」中的内容")
                ok = False
        return ok

    def location_data(self) -> dict:
        return {name: self[name].data for name in ("latitude", "longitude", "accuracy", "located_at")}

    def sections(self) -> dict:
        """{section: data} for the sections the user filled, None for the others, and the policies
        ticked as delivered (log_visit's kwargs)."""
        filled = {
            name: self[name].form.data_for_service() if self[name].form.is_filled() else None
            for name in SECTIONS
        }
        return filled | {"policies": self.policies.data or []}


class FirmLocationForm(BaseForm):
    """A firm's location typed from a map (纬度/经度 in the map's own datum)."""

    datum = SelectField("坐标来源", choices=list(DATUMS.items()), default="gcj02", validate_choice=False)
    latitude = StringField("纬度", validators=[DataRequired("请填写纬度"), Length(max=30)])
    longitude = StringField("经度", validators=[DataRequired("请填写经度"), Length(max=30)])


class ReviewForm(BaseForm):
    """An officer's verdict on a check-in (the verdict comes from the button pressed)."""

    note = StringField("核验说明", validators=[DataRequired("请填写核验说明"), Length(max=300)])
