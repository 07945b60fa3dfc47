"""The base of every form: WTForms' own messages (bad number, bad date, bad choice) in Chinese.

Flask-WTF only translates them through Flask-Babel, which this app does not use, so without this a
phone user typing "abc" into a number field would read "Not a valid integer value.".
"""

from flask_wtf import FlaskForm
from wtforms.i18n import get_translations

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


class BaseForm(FlaskForm):
    """FlaskForm whose built-in validation messages are Chinese."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS
