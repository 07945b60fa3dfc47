"""The query-string readers: a clean value or the default, whatever was typed after the `?`."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from crm.services.common.args import (
    MAX_ID,
    arg_choice,
    arg_date,
    arg_flag,
    arg_id,
    arg_page,
    arg_text,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("7", 7),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1e9", None),
        ("1_0", None),
        ("²", None),
        ("١٢", None),
        ("１２", None),
        ("7\x00", None),
        ("", None),
        ("abc", None),
    ],
)
def test_an_id_is_ascii_digits_within_an_integer_column(raw, expected):
    assert arg_id({"park": raw}, "park") == expected


def test_a_page_number_is_bounded_and_defaults_to_one():
    assert arg_page({"page": "3"}) == 3
    assert [arg_page({"page": v}) for v in ("0", "-2", "1e9", "99999999999999999999", "x")] == [1] * 5
    assert arg_page({}) == 1


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-11-02", date(2026, 11, 2)),
        (" 2026-11-02 ", date(2026, 11, 2)),
        ("2026-13-45", None),
        ("2026-02-30", None),
        ("20261102", None),
        ("2026-W45-1", None),
        ("2026-11-02T00:00", None),
        ("9999-12-31", None),  # one day later overflows date arithmetic
        ("0001-01-01", None),
        ("２０２６-11-02", None),
        ("2026-11-02\x00", None),
    ],
)
def test_a_date_is_a_real_day_written_yyyy_mm_dd(raw, expected):
    assert arg_date({"from": raw}, "from") == expected


def test_choices_flags_and_repeated_keys():
    args = MultiDict([("sort", "name"), ("sort", "evil"), ("key", "on"), ("tab", "__class__")])
    assert arg_choice(args, "sort", {"name": "按名称"}, "x") == "name"  # the first of repeated keys
    assert arg_choice(args, "tab", ("basic",), "basic") == "basic"
    assert arg_choice(args, "missing", ("basic",)) == ""
    assert arg_flag(args, "key") and not arg_flag(args, "sort") and not arg_flag(args, "missing")


def test_text_is_short_half_width_and_free_of_control_characters():
    assert arg_text({"q": "  湘潭\x00电机\u202e  \t有限 "}, "q") == "湘潭 电机 有限"
    assert arg_text({"q": "ＡＢＣ１２３"}, "q") == "ABC123"
    assert len(arg_text({"q": "长" * 5000}, "q")) == 100
    assert arg_text({"q": "x" * 80}, "q", limit=64) == "x" * 64
    assert arg_text({}, "q") == ""
