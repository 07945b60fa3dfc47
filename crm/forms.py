"""The base of every form: WTForms' own messages (bad number, bad date, bad choice) in Chinese.

Flask-WTF only translates them through Flask-Babel, which this app does not use, so without this a
phone user typing "abc" into a number field would read "Not a valid integer value.".
Every text input refuses control characters, naming the field, as the services do (the services stay
the gate: the CLI and the import reach them without a form). VersionField is the hidden version every
edit form of a versioned row carries.
"""

import re
from collections.abc import Iterable, Iterator

from flask import has_request_context, request
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.utils import unset_value

from crm.services.common.validators import control_char_error

# Messages the bundled Chinese catalogue lacks, or says in a way a park office would not.
OVERRIDES = {
    "Not a valid choice.": "请从列表中选择",
    "Invalid Choice: could not coerce.": "请从列表中选择",
    "Not a valid integer value.": "请输入整数",
    "Not a valid decimal value.": "请输入数字",
    "Not a valid float value.": "请输入数字",
    "Not a valid date value.": "日期格式不正确，应为 YYYY-MM-DD",
    "This field is required.": "此项为必填项",
    "Field cannot be longer than %(max)d characters.": "不能超过%(max)d字",
    "Field must be at least %(min)d characters long.": "不能少于%(min)d字",
    "Invalid input.": "输入无效",
}


class ChineseTranslations:
    """gettext/ngettext over WTForms' zh catalogue, with OVERRIDES first."""

    def __init__(self):
        self._zh = get_translations(["zh"])

    def gettext(self, message: str) -> str:
        return OVERRIDES.get(message) or self._zh.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        message = singular if n == 1 else plural
        return OVERRIDES.get(message) or self._zh.ngettext(singular, plural, n)


_TRANSLATIONS = ChineseTranslations()


def _typed_fields(fields: Iterable[Field]) -> Iterator[Field]:
    """The text inputs of a form and of its sub-forms; hidden and password fields are not shown text."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _typed_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _typed_fields(field.entries)
        elif isinstance(field, StringField) and not isinstance(field, (HiddenField, PasswordField)):
            yield field


def _label(field: Field) -> str:
    # "销售金额（万元）" reads better in a sentence as "销售金额".
    return re.sub(r"\s*[（(][^（()）]*[)）]$", "", field.label.text) or field.label.text


class BaseForm(FlaskForm):
    """FlaskForm whose built-in validation messages are Chinese, and whose text inputs refuse control
    characters (one-line inputs line breaks and tabs too), naming the field."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _typed_fields(self):
            multiline = isinstance(field, TextAreaField)
            message = control_char_error(field.data, _label(field), multiline=multiline)
            if message is not None:
                # The one thing to fix in this field: other complaints about it would follow from it.
                field.errors = [message]
                valid = False
        return valid


SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}  # as Flask-WTF's is_submitted()


class VersionField(HiddenField):
    """The version of the row an edit form was opened on (optimistic locking, crm.services.common.locking).

    Filled from the row when the page is shown; on a submission only what the browser sent counts. A
    form built with obj=row would otherwise fall back to the row's current version when the POST lacks
    the field, and a page that lost its version would pass for an up-to-date one: here it reaches the
    service blank, which refuses it.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if has_request_context() and request.method in SUBMIT_METHODS:
            sent = formdata.getlist(self.name) if formdata is not None else []
            self.data = sent[0] if sent else ""
