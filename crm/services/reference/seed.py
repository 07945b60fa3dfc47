"""Reference data (parks, industry chains, departments) from seeds/reference.json."""

import json
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, IndustryChain, Park, Setting
from crm.services.reference.admin import name_key

SEED_FILE = Path(__file__).resolve().parents[3] / "seeds" / "reference.json"
# The setting that remembers which seed items were loaded once: {kind: {item key: row id}}.
LEDGER_KEY = "reference_seed"


def _department_key(name: str, park_code: Optional[str]) -> str:
    return f"{park_code or ''}/{name_key(name)}"


def load_reference_data(path: Path = SEED_FILE) -> dict[str, int]:
    """Insert the seed file's parks, chains and departments that were never loaded; safe to run again.

    Each item is loaded once and remembered in a ledger (setting "reference_seed"), so an admin's later
    rename, retirement or deletion of it is never undone by the next `flask crm seed`. An item that
    matches an existing row (park by code or name, chain by name, department by name at its level) is
    only remembered: the row is left as it is, retired or not.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    added = {"parks": 0, "industry_chains": 0, "departments": 0}
    row = db.session.get(Setting, LEDGER_KEY)
    stored = row.value if row else {}
    ledger: dict[str, dict[str, Any]] = {kind: dict(stored.get(kind, {})) for kind in added}

    parks = list(db.session.scalars(select(Park)))
    for item in data.get("parks", []):
        code = item["code"]
        if code in ledger["parks"]:
            continue
        park = next((p for p in parks if p.code.upper() == code.upper()), None) or next(
            (p for p in parks if name_key(p.name) == name_key(item["name"])), None
        )
        if park is None:
            park = Park(code=code, name=item["name"])
            db.session.add(park)
            db.session.flush()
            parks.append(park)
            added["parks"] += 1
        ledger["parks"][code] = park.id

    chains = {name_key(c.name): c for c in db.session.scalars(select(IndustryChain))}
    for order, name in enumerate(data.get("industry_chains", [])):
        if name in ledger["industry_chains"]:
            continue
        chain = chains.get(name_key(name))
        if chain is None:
            chain = chains[name_key(name)] = IndustryChain(name=name, sort_order=order)
            db.session.add(chain)
            db.session.flush()
            added["industry_chains"] += 1
        ledger["industry_chains"][name] = chain.id

    departments = list(db.session.scalars(select(Department)))
    for item in data.get("departments", []):
        code = item.get("park")
        key = _department_key(item["name"], code)
        if key in ledger["departments"]:
            continue
        park_id = None
        if code:
            park_id = ledger["parks"].get(code)
            if park_id is None or db.session.get(Park, park_id) is None:
                continue  # its park was never loaded, or an admin deleted it: nowhere to put it
        dept = next(
            (d for d in departments if d.park_id == park_id and name_key(d.name) == name_key(item["name"])),
            None,
        )
        if dept is None:
            dept = Department(name=item["name"], park_id=park_id)
            db.session.add(dept)
            db.session.flush()
            departments.append(dept)
            added["departments"] += 1
        ledger["departments"][key] = dept.id

    if row is None:
        db.session.add(Setting(key=LEDGER_KEY, value=ledger))
    elif row.value != ledger:
        row.value = ledger  # a new dict: JSON columns notice reassignment, not mutation
    db.session.flush()
    return added
