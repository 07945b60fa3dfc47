"""A closed month's snapshot is decoded a kind at a time (codec.decode_all) and gives back exactly the rows
the row-by-row decoder gives: for every kind a real close holds, city-wide and per park, and for rows the
batch reader would read otherwise (those go the slow way)."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

import pytest

from crm.reporting.monthly.period import Period
from crm.reporting.monthly.snapshot import KINDS, SnapshotSource
from crm.services.closing.codec import _batch_decoder, decode_all, decoder
from crm.services.closing.store import read_snapshot_texts
from tests.support.month_close import OCTOBER_CLOSE_DAY, close
from tests.support.reports import report_world


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    return world


def _one_by_one(cls, texts):
    decode = decoder(cls)
    return [decode(json.loads(text)) for text in texts]


def test_every_kind_of_a_closed_month_decodes_as_row_by_row(db, w):
    closed = close()
    period = Period.parse("2026-10", OCTOBER_CLOSE_DAY)
    for park_id in (None, w.park_a.id):
        texts = read_snapshot_texts(closed.close.id, park_id)
        assert {"firms", "visits", "problems", "events", "lists", "summary", "previous"} <= texts.keys()
        for kind, rows in texts.items():
            spec = KINDS[kind]
            assert _batch_decoder(spec.row, spec.working) is not None, kind  # the fast way, for every kind
            assert decode_all(spec.row, rows, spec.working) == _one_by_one(spec.row, rows), kind
        source = SnapshotSource(period, closed.close, park_id)
        for kind, rows in texts.items():
            assert source.rows(kind) == _one_by_one(KINDS[kind].row, rows), kind


@dataclass
class Row:
    n: int
    on: Optional[date]
    amount: Decimal
    note: str = ""


GOOD = '{"n": 1, "on": "2026-10-01", "amount": "100.50"}'


@pytest.mark.parametrize(
    "odd",
    [
        '{"n": null, "on": null, "amount": "2"}',  # a null where no None belongs: kept as None
        '{"n": true, "on": null, "amount": "2"}',  # a boolean in a number field: kept as it is
        '{"n": 2, "on": "20261001", "amount": "2"}',  # a date ISO-written without dashes
        '{"n": 2, "on": null, "amount": "2", "note": "a\\ud800b"}',  # a lone surrogate in text
    ],
)
def test_rows_the_batch_reads_otherwise_come_back_as_row_by_row(odd):
    texts = [GOOD, odd, GOOD]
    assert decode_all(Row, texts) == _one_by_one(Row, texts)
    assert decode_all(Row, [GOOD])[0] == Row(1, date(2026, 10, 1), Decimal("100.50"))


def test_a_text_holding_more_than_one_row_is_refused_as_before():
    with pytest.raises(json.JSONDecodeError):
        decode_all(Row, [GOOD + ", " + GOOD])


@dataclass
class Share:
    share: float


@dataclass
class Keys:
    keys: dict[int, int]


@dataclass
class Pair:
    pair: tuple[int, int]


@dataclass
class Days:
    days: list[date]


@pytest.mark.parametrize(
    "cls, text",
    [
        (Share, '{"share": 1}'),  # stays the int 1, not 1.0
        (Keys, '{"keys": {"1": 2}}'),  # keeps its text key
        (Pair, '{"pair": [1, 2]}'),  # stays a list
        (Days, '{"days": ["2026-10-01"]}'),  # keeps the text inside the list
    ],
)
def test_field_types_the_batch_would_convert_are_read_row_by_row(cls, text):
    assert _batch_decoder(cls, ()) is None
    assert decode_all(cls, [text]) == _one_by_one(cls, [text])
    assert decode_all(cls, []) == []
