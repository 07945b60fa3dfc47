"""Reference data (parks, industry chains, departments) from seeds/reference.json."""

import json
from pathlib import Path

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, IndustryChain, Park

SEED_FILE = Path(__file__).resolve().parents[3] / "seeds" / "reference.json"


def load_reference_data(path: Path = SEED_FILE) -> dict[str, int]:
    """Insert missing parks, chains and departments; existing rows are left alone (idempotent)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    added = {"parks": 0, "industry_chains": 0, "departments": 0}
    parks = {p.code: p for p in db.session.scalars(select(Park))}
    for item in data.get("parks", []):
        if item["code"] not in parks:
            parks[item["code"]] = Park(code=item["code"], name=item["name"])
            db.session.add(parks[item["code"]])
            added["parks"] += 1
    chains = set(db.session.scalars(select(IndustryChain.name)))
    for order, name in enumerate(data.get("industry_chains", [])):
        if name not in chains:
            db.session.add(IndustryChain(name=name, sort_order=order))
            added["industry_chains"] += 1
    db.session.flush()
    existing = {(d.name, d.park_id) for d in db.session.scalars(select(Department))}
    for item in data.get("departments", []):
        park = parks.get(item["park"]) if item.get("park") else None
        key = (item["name"], park.id if park else None)
        if key not in existing:
            db.session.add(Department(name=item["name"], park_id=key[1]))
            added["departments"] += 1
    db.session.flush()
    return added
