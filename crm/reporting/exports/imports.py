"""Workbooks of the enterprise import: the blank template and the error report."""

from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from crm.models import IndustryChain, Park, User
from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.models.profile import QUALIFICATIONS
from crm.reporting.exports.xlsx import HEADER_FILL, xml_safe
from crm.services.common.creditcode import check_digit
from crm.services.imports.enterprises import import_errors, template_choices
from crm.services.imports.parse import COLUMNS, ERROR_COLUMN, EXAMPLE_PREFIX, ParsedFile

TEMPLATE_SHEET = "企业信息"
HELP_SHEET = "填写说明"
TEMPLATE_KEYS = [key for key in COLUMNS if key != "is_above"]
REQUIRED = {"name", "credit_code", "park"}
WIDTHS = {
    "name": 32,
    "credit_code": 22,
    "park": 16,
    "chain": 14,
    "address": 36,
    "contact_phone": 15,
    "tags": 20,
    "qualifications": 32,
    "note": 24,
    "output_last_year": 14,
    "tax_last_year": 14,
    "founded_on": 12,
}
TEXT_COLUMNS = {"credit_code", "contact_phone"}  # kept as text so Excel does not mangle long digit runs
VALIDATION_ROWS = 10000
BAD_FILL = PatternFill("solid", fgColor="F8D7DA")
RED = Font(color="C00000")

# column key -> (what to fill in, allowed values or format); shown on the 填写说明 sheet.
HELP: dict[str, tuple[str, str]] = {
    "name": ("企业的登记全称，也可写作“名称”“企业”", "不超过200字"),
    "credit_code": (
        "18位统一社会信用代码，是判断“新增还是更新”的依据；全角字符、空格、小写字母会自动纠正，"
        "也可写作“信用代码”“社会信用代码”",
        "18位，系统校验校验位；请把本列设为文本格式",
    ),
    "park": ("填写园区名称或园区代码，也可写作“园区”；园区管理员只能导入本园区，且可以不填本列", ""),
    "chain": ("产业链名称，也可写作“产业链”", ""),
    "size": (
        "企业规模；也可以只填或同时填 规上/规下（规模以上/规模以下），如 规上·中型，"
        "同时有“规模类型”列时两者须一致",
        "/".join(SIZES.values()),
    ),
    "scale_type": ("规上/规下；也可用“是否规上”列填写 是/否", "/".join(SCALE_TYPES.values())),
    "is_key": ("是否为重点企业，也可写作“重点企业”", "是/否（也可填 Y/N、1/0、√）"),
    "legal_rep": ("也可写作“法人”“法人代表”", "不超过64字"),
    "contact_name": ("企业联系人", "不超过64字"),
    "contact_phone": ("也可写作“电话”", "不超过64字"),
    "address": ("企业地址", "不超过300字"),
    "cadre": (
        "负责联系该企业的联企干部，填写其用户名或姓名（同名时请填用户名）；须是该园区的干部。"
        "已是该干部时不做调整，不填则不改变现有联系干部",
        "",
    ),
    "founded_on": ("成立日期", "如 2015-03-01、2015/3/1 或 2015年3月1日"),
    "headcount": ("从业人数", "非负整数"),
    "output_last_year": ("上年产值，单位万元", "数字，最多两位小数"),
    "tax_last_year": ("上年税收，单位万元", "数字，最多两位小数"),
    "status": ("经营状态，不填时新增企业默认为在营", "/".join(STATUSES.values())),
    "qualifications": (
        "企业已获得的资质，多个用顿号“、”或逗号分隔，可在名称后注明认定年份，如 高新技术企业（2023）；"
        "填写后以本列为准，不填则不改变已有资质",
        "、".join(QUALIFICATIONS.values()),
    ),
    "tags": (
        "标签库中的标签（由系统管理员维护），多个用顿号或逗号分隔；写在本列的资质（如 专精特新）按资质记录",
        "不超过300字",
    ),
    "note": ("备注", ""),
}
GENERAL_NOTES = [
    "第1行是表头，请勿修改列名；从第2行起每行填写一家企业，列的顺序可以调整，不需要的非必填列可以删除。",
    f"企业名称以“{EXAMPLE_PREFIX}”开头的行是示例，导入时自动跳过。",
    "同一统一社会信用代码再次导入时更新已有企业，只修改有变化的内容；空白单元格不会清空已有内容。",
    "上传后先预览，确认后才写入。文件中任何一行有错误时整个文件都不会导入，"
    "可下载错误报告（最后一列为“错误信息”），在原表上修改后重新上传。",
]


def _example_row(parks: Sequence[Park], chains: Sequence[IndustryChain]) -> dict[str, Any]:
    body = "91430300MA4T8K2X1"
    return {
        "name": f"{EXAMPLE_PREFIX}：某某智能装备有限公司",
        "credit_code": body + check_digit(body),
        "park": parks[0].name if parks else "某某园区",
        "chain": chains[0].name if chains else "",
        "size": SIZES["small"],
        "scale_type": SCALE_TYPES["above"],
        "is_key": "是",
        "legal_rep": "张三",
        "contact_name": "李四",
        "contact_phone": "13800000000",
        "address": "某某路88号",
        "cadre": "（干部用户名或姓名）",
        "founded_on": date(2015, 3, 1),
        "headcount": 120,
        "output_last_year": 5000,
        "tax_last_year": 300.5,
        "status": STATUSES["active"],
        "qualifications": f"{QUALIFICATIONS['hnte']}（2023）、{QUALIFICATIONS['srdi']}",
        "tags": "",
        "note": "",
    }


def _dropdown(ws, column: int, values: Sequence[str]) -> None:
    formula = '"' + ",".join(values) + '"'
    if not values or len(formula) > 255 or any("," in v for v in values):
        return  # Excel's inline list is limited to 255 characters
    # No error box: the importer also accepts aliases such as Y/N, and says what is wrong itself.
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
    letter = get_column_letter(column)
    dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
    ws.add_data_validation(dv)


def write_import_template(parks: Sequence[Park], chains: Sequence[IndustryChain]) -> BytesIO:
    """The enterprise import template: Chinese headers, an example row, a 填写说明 sheet."""
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet), "a new workbook starts with one worksheet"
    ws.title = TEMPLATE_SHEET
    example = _example_row(parks, chains)
    for col, key in enumerate(TEMPLATE_KEYS, start=1):
        letter = get_column_letter(col)
        head = ws.cell(row=1, column=col, value=COLUMNS[key])
        head.font = Font(bold=True, color="C00000" if key in REQUIRED else None)
        head.fill = HEADER_FILL
        head.alignment = Alignment(horizontal="center")
        cell = ws.cell(row=2, column=col, value=example[key])
        cell.font = Font(color="808080")
        if key == "founded_on":
            cell.number_format = "yyyy-mm-dd"
        if key in TEXT_COLUMNS:
            cell.number_format = "@"
            ws.column_dimensions[letter].number_format = "@"
        ws.column_dimensions[letter].width = WIDTHS.get(key, 11)
    ws.freeze_panes = "A2"
    choices = {
        "size": list(SIZES.values()),
        "scale_type": list(SCALE_TYPES.values()),
        "is_key": ["是", "否"],
        "status": list(STATUSES.values()),
        "park": [p.name for p in parks],
        "chain": [c.name for c in chains],
    }
    for key, values in choices.items():
        _dropdown(ws, TEMPLATE_KEYS.index(key) + 1, values)

    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.append(["列名", "是否必填", "填写说明", "可选值 / 格式"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    allowed = {"park": "、".join(p.name for p in parks), "chain": "、".join(c.name for c in chains)}
    for key in TEMPLATE_KEYS:
        text, options = HELP[key]
        required = "必填" if key in REQUIRED else "选填"
        if key == "park":
            required = "必填（园区管理员可不填）"
        help_ws.append([COLUMNS[key], required, text, allowed.get(key) or options])
    help_ws.append([])
    for note in GENERAL_NOTES:
        help_ws.append([note])
    for letter, width in zip("ABCD", (16, 22, 70, 40), strict=True):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _cell(ws, value: Any, fill: PatternFill | None = None, font: Font | None = None) -> Cell:
    if isinstance(value, str):
        # A control character the row is refused for cannot be written into an .xlsx either: it goes,
        # and the row's message says it was there.
        value = xml_safe(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        # Written back verbatim (so the file can be fixed and re-uploaded) but never run as a formula.
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm" if (value.hour, value.minute) != (0, 0) else "yyyy-mm-dd"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if fill is not None:
        cell.fill = fill
    if font is not None:
        cell.font = font
    return cell


def write_error_workbook(
    parsed: ParsedFile, messages: dict[int, str], bad_cells: dict[int, set[int]], all_errors: Sequence[str]
) -> BytesIO:
    """The uploaded rows unchanged plus an 错误信息 column; bad cells shaded; a sheet listing every error."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(TEMPLATE_SHEET)
    width = max((len(row) for row in parsed.rows), default=0)
    err_col = parsed.error_column if parsed.error_column is not None else width
    ws.column_dimensions[get_column_letter(err_col + 1)].width = 60
    ws.freeze_panes = f"A{parsed.data_start + 1}"
    for idx, row in enumerate(parsed.rows):
        number = idx + 1
        if number in parsed.hidden_rows:  # still hidden, so the fixed file imports as the original did
            ws.row_dimensions[number].hidden = True
        values = list(row) + [None] * (max(width, err_col + 1) - len(row))
        if idx == parsed.header_index:
            values[err_col] = ERROR_COLUMN
            cells = [_cell(ws, v, HEADER_FILL, Font(bold=True)) for v in values]
        else:
            values[err_col] = messages.get(number) if idx > parsed.header_index else values[err_col]
            shaded = bad_cells.get(number, set())
            cells = [
                _cell(ws, v, BAD_FILL if i in shaded else None, RED if i == err_col else None)
                for i, v in enumerate(values)
            ]
        ws.append(cells)
    summary = wb.create_sheet("错误汇总")
    summary.column_dimensions["A"].width = 100
    summary.append([_cell(summary, "错误说明", HEADER_FILL, Font(bold=True))])
    for message in all_errors:
        summary.append([_cell(summary, message)])
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def import_error_report(
    path: str | Path, actor: User, keep_hidden: bool = False, web: bool = False
) -> BytesIO:
    """The uploaded sheet back as .xlsx, every row kept, with an 错误信息 column beside each bad row."""
    found = import_errors(path, actor, keep_hidden=keep_hidden, web=web)
    return write_error_workbook(found.parsed, found.messages, found.bad_cells, found.errors)


def import_template(actor: User) -> BytesIO:
    """The downloadable import template: headers, an example row, and a 填写说明 sheet."""
    return write_import_template(*template_choices(actor))
