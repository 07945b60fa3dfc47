import pytest

from crm.services.common.creditcode import (
    check_digit,
    credit_code_error,
    normalize_credit_code,
    normalize_text,
)

# Codes whose check digits agree with GB 32100-2015 (the first is the standard's common example).
VALID = ["91350100M000100Y43", "91110000600037341L", "91430300MA4L16HK3A"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert credit_code_error(code) is None


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100M000100YI3", "非法字符"),
        ("", "18位"),
    ],
)
def test_invalid_codes_explain_in_chinese(code, fragment):
    assert fragment in credit_code_error(code)


def test_check_digit_zero_case():
    # When 31 - sum % 31 == 31 the check character is "0", not an index error.
    body = "00000000000000000"
    assert check_digit(body) == "0"


def test_normalisation_full_width_trim_upper():
    assert normalize_credit_code(" ９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert normalize_text("　湘潭　 科技  ") == "湘潭 科技"
