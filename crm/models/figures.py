"""Materialised home-page figures, one row per park and part, and the versions that say whether a row
is current.

A park's figures are a pure function of its rows and the day, so a stored row is exact as long as its day
is today and nothing that feeds it has been written since. The figures come in parts (visits apart from
the rest), each with its own version. Every transaction that writes such rows bumps the version of each
park and part it touched (or the epoch, park 0, for writes that reach every park: a renamed department,
a rule change, a holiday) just before it commits, in the same transaction; a stored row carries the
versions it was computed under and is used only while they still match.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.timeutil import utcnow

EPOCH_ROW = 0  # the version row every park's figures also depend on


class FigureVersion(Model):
    """How many committed transactions have changed one part of a park's figures (park 0: all parks)."""

    __tablename__ = "figure_versions"

    park_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class ParkFigures(Model):
    """One part of a park's home-page figures for one day, computed under the stated versions."""

    __tablename__ = "park_figures"

    park_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date]
    version: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
