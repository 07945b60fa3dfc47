"""Dataclasses of plain values to JSON and back, losslessly.

A snapshot row is the JSON of one dataclass instance. Supported field types: int, str, bool, float,
None, date (ISO text), datetime (ISO text), Decimal (its exact text, so 100.50 stays 100.50), nested
dataclasses, and dicts or lists of JSON values. Decoding reads the field types from the dataclass, so
a value comes back as the type it went in as; a field missing from old JSON takes its default.
"""

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")


def encode(row: Any) -> dict[str, Any]:
    """The JSON-ready dict of a dataclass instance."""
    return _encoder(type(row))(row)  # type: ignore[arg-type]  # classes are hashable


@cache
def _encoder(cls: type) -> Callable[[Any], dict[str, Any]]:
    """encode() for one dataclass: plain fields copied as they are, the others converted (a city's close
    encodes some hundred thousand rows, so the field types are read once per class)."""
    hints = typing.get_type_hints(cls)
    plain, converted = [], []
    for f in dataclasses.fields(cls):
        if _strip_optional(hints[f.name]) in (int, str, bool, float):
            plain.append(f.name)
        else:
            converted.append(f.name)

    def encode_row(row: Any) -> dict[str, Any]:
        out = {name: getattr(row, name) for name in plain}
        for name in converted:
            out[name] = _plain(getattr(row, name))
        return out

    return encode_row


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):  # datetime first: a datetime is also a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _strip_optional(tp: Any) -> Any:
    """Optional[X] -> X (other unions are returned unchanged)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _converter(tp: Any) -> Callable[[Any], Any]:
    tp = _strip_optional(tp)
    if tp is datetime:
        return datetime.fromisoformat
    if tp is date:
        return date.fromisoformat
    if tp is Decimal:
        return Decimal
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return decoder(tp)
    return lambda value: value  # int, str, bool, float and JSON containers come back as they are


@cache
def decoder(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """A function turning encode(cls instance) back into an equal cls instance."""
    hints = typing.get_type_hints(cls)
    convert = {
        f.name: _converter(hints[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init
    }

    def decode(data: dict[str, Any]) -> T:
        values = {}
        for name, fn in convert.items():
            if name in data:
                raw = data[name]
                values[name] = None if raw is None else fn(raw)
        return cls(**values)

    return decode
