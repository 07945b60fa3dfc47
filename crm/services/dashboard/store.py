"""Reading and writing the materialised per-park home figures (crm.models.figures).

A stored row is used only while its day is today and the park's version and the epoch are the ones it
was computed under (crm.services.dashboard.versions bumps them in every writing transaction). A reader
that finds a row missing or outdated computes the park's figures and stores them under the versions it
read *before* computing: a write committed meanwhile has already moved the version on, so the row it
stores is never taken for current.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.extensions import db
from crm.models import ParkFigures
from crm.models.figures import EPOCH_ROW
from crm.services.dashboard.versions import current_versions
from crm.timeutil import utcnow


@dataclass
class Stored:
    payload: dict[str, Any]
    computed_at: datetime
    computed_now: bool  # computed by this request (the row was missing or outdated)


def _save(
    park_id: int, part: str, day: date, version: int, epoch: int, payload: dict[str, Any], at: datetime
) -> None:
    make = sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else pg_insert
    values = {
        "park_id": park_id,
        "part": part,
        "day": day,
        "version": version,
        "epoch": epoch,
        "computed_at": at,
    }
    stmt = make(cast(Table, ParkFigures.__table__)).values(**values, payload=payload)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["park_id", "part"],
            set_={name: stmt.excluded[name] for name in (*values, "payload")},
        )
    )


def park_figures(
    park_ids: Iterable[int],
    part: str,
    day: date,
    compute: Callable[[int], dict[str, Any]],
    fresh: bool = False,
) -> dict[int, Stored]:
    """One part of each park's figures for day: the stored row where it is current, else
    compute(park_id), stored.

    fresh: recompute every park (the page's 刷新). Costs two reads, plus one compute and one write per
    park that was missing or outdated; the caller commits.
    """
    ids = sorted(set(park_ids))
    if not ids:
        return {}
    versions = current_versions(ids, part)
    epoch = versions[EPOCH_ROW]
    found: dict[int, Stored] = {}
    if not fresh:
        rows = db.session.execute(
            select(
                ParkFigures.park_id, ParkFigures.version, ParkFigures.payload, ParkFigures.computed_at
            ).where(
                ParkFigures.park_id.in_(ids),
                ParkFigures.part == part,
                ParkFigures.day == day,
                ParkFigures.epoch == epoch,
            )
        ).all()
        for park_id, version, payload, at in rows:
            if version == versions[park_id]:
                found[park_id] = Stored(payload, at, False)
    missing = [park_id for park_id in ids if park_id not in found]
    for park_id in missing:
        payload, at = compute(park_id), utcnow()
        _save(park_id, part, day, versions[park_id], epoch, payload, at)
        found[park_id] = Stored(payload, at, True)
    return found
