from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField

from crm.forms import BaseForm
from crm.services.imports.parse import SUPPORTED_EXTENSIONS


class ImportForm(BaseForm):
    file = FileField(
        "企业信息表",
        validators=[
            FileRequired("请选择要上传的文件"),
            FileAllowed(SUPPORTED_EXTENSIONS, "只支持 .xlsx 或 .csv 文件（.xls 请在 Excel 中另存为 .xlsx）"),
        ],
        render_kw={"accept": ",".join(f".{ext}" for ext in SUPPORTED_EXTENSIONS)},
    )
    include_hidden = BooleanField("大文件后台导入时，一并导入 Excel 中隐藏的行")
