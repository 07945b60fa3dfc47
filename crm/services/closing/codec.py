"""Dataclasses of plain values to JSON and back, losslessly.

A snapshot row is the JSON of one dataclass instance. Supported field types: int, str, bool, float,
None, date (ISO text), datetime (ISO text), Decimal (its exact text, so 100.50 stays 100.50), nested
dataclasses, and dicts or lists of JSON values. Decoding reads the field types from the dataclass, so
a value comes back as the type it went in as; a field missing from old JSON takes its default.

decode_all() turns many rows of one class back at once (a closed city month holds some hundred thousand):
msgspec parses them as one JSON array straight into the dataclass, with the same field types; any row it
would read differently from decoder() (a null in a field not Optional, text where a number belongs, a
character JSON escapes oddly) makes it hand the whole batch to decoder(), so the rows are always the same.
"""

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Optional, TypeVar, Union

import msgspec

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


def decode_all(cls: type[T], texts: list[str], working: tuple[str, ...] = ()) -> list[T]:
    """The rows whose JSON texts are given, decoded as decoder(cls) would decode each (in one pass).
    working: fields never stored (they take their defaults), left out of the check of field types."""
    if not texts:
        return []
    fast = _batch_decoder(cls, working)  # type: ignore[arg-type]  # classes are hashable
    if fast is not None:
        try:
            rows = fast.decode("[" + ",".join(texts) + "]")
        except (msgspec.DecodeError, msgspec.ValidationError):
            rows = None  # an unusual row: the batch is read the slow way, exactly as decoder() reads it
        if rows is not None and len(rows) == len(texts):
            return rows
    decode = decoder(cls)  # type: ignore[arg-type]  # classes are hashable
    return [decode(json.loads(text)) for text in texts]


@cache
def _batch_decoder(cls: type, working: tuple[str, ...]) -> Optional[msgspec.json.Decoder]:
    """A msgspec decoder of a JSON array of cls, or None where msgspec could read a field otherwise than
    decoder() does: decoder() converts a field's own value only (a date, a Decimal, a dataclass) and keeps
    what JSON holds inside lists and dicts, where msgspec would convert too (1 to 1.0 for a float, "1"
    to 1 for an int key, an array to a tuple)."""
    if not _fields_safe(cls, working):
        return None
    try:
        return msgspec.json.Decoder(list[cls])  # type: ignore[valid-type]  # cls is a runtime class
    except TypeError:  # a field type msgspec does not know
        return None


def _fields_safe(cls: type, working: tuple[str, ...] = ()) -> bool:
    hints = typing.get_type_hints(cls)
    return all(f.name in working or (f.init and _field_safe(hints[f.name])) for f in dataclasses.fields(cls))


def _field_safe(tp: Any) -> bool:
    tp = _strip_optional(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _fields_safe(tp)
    return tp in (date, datetime, Decimal) or _json_safe(tp)


def _json_safe(tp: Any) -> bool:
    """A type whose JSON value both read the same: text, whole numbers, booleans, and lists or text-keyed
    dicts of them."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in (list, dict) or origin is list:
        return all(_json_safe(arg) for arg in args)
    if origin is dict:
        return args[0] is str and _json_safe(args[1])
    return tp in (int, str, bool, Any)
