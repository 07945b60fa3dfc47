"""The firm service refuses numbers the database cannot hold (PostgreSQL would answer with an error page)."""

from datetime import date
from decimal import Decimal

import pytest

from crm.services import ServiceError
from crm.services.enterprises.registry import create_enterprise, update_enterprise, validate_enterprise_data
from tests.support.factories import make_enterprise, make_park, make_user, valid_credit_code


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("headcount", -1, "从业人数不能为负数"),
        ("headcount", 10_000_000, "从业人数数值过大"),
        ("output_last_year", Decimal("1e12"), "上年产值(万元)数值过大"),
        ("output_last_year", Decimal("NaN"), "上年产值(万元)应为数字"),
        ("tax_last_year", Decimal("Infinity"), "上年税收(万元)应为数字"),
        ("tax_last_year", Decimal("-0.01"), "上年税收(万元)不能为负数"),
    ],
)
def test_out_of_range_numbers_are_refused(db, field, value, message):
    park = make_park()
    data = {"name": "某企业", "credit_code": valid_credit_code(), "park_id": park.id, field: value}
    assert message in validate_enterprise_data(data)[field]


def test_largest_numbers_that_fit_are_accepted(db):
    park = make_park()
    data = {
        "name": "大企业",
        "credit_code": valid_credit_code(),
        "park_id": park.id,
        "headcount": 9_999_999,
        "output_last_year": Decimal("999999999999.99"),
        "tax_last_year": Decimal("0"),
        "founded_on": date(2000, 1, 1),
    }
    assert validate_enterprise_data(data) == {}


def test_update_with_a_huge_number_changes_nothing(db):
    park = make_park()
    officer = make_user("officer", park)
    firm = make_enterprise(park)
    with pytest.raises(ServiceError, match="数值过大"):
        update_enterprise(firm, {"name": "改名企业", "output_last_year": Decimal("1e15")}, officer)
    assert firm.name != "改名企业" and firm.output_last_year is None
    with pytest.raises(ServiceError, match="数值过大"):
        create_enterprise(
            {"name": "新企业", "credit_code": valid_credit_code(), "park_id": park.id, "headcount": 10**10},
            officer,
        )
