"""Enterprise import, the registry side: everything the rows are checked against, fetched at once."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func, or_, select

from crm.extensions import db
from crm.models import Assignment, Enterprise, FirmQualification, IndustryChain, Park, Tag, User
from crm.models.profile import enterprise_tags
from crm.permissions import may_import_into
from crm.services.common.creditcode import fold_key
from crm.services.common.validators import has_control_chars
from crm.services.enterprises.registry import clean_enterprise_data
from crm.services.imports.cells import Verdicts
from crm.services.imports.parse import cell_text, header_key

IN_CHUNK = 500  # keeps IN (...) lists well under every database's parameter limit


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(items)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


class Registry:
    """Everything the rows are checked against, fetched in a handful of queries instead of per row."""

    def __init__(self, actor: User):
        parks = list(db.session.scalars(select(Park).order_by(Park.id)))
        self.parks_by_id = {p.id: p for p in parks}
        self.allowed = [p for p in parks if may_import_into(actor, p)]
        self.allowed_ids = {p.id for p in self.allowed}
        self.default_park = self.allowed[0] if len(self.allowed) == 1 else None
        self.parks_by_key = {header_key(p.code).upper(): p for p in parks}
        self.parks_by_key |= {header_key(p.name): p for p in parks}
        self.chains = list(db.session.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
        self.chains_by_key = {header_key(c.name): c for c in self.chains}
        self.tags = list(db.session.scalars(select(Tag).order_by(Tag.sort_order, Tag.id)))
        self.tags_by_key = {header_key(t.name): t for t in self.tags}
        # The 画像 of the file's registered firms: {firm id: {code: year}} and {firm id: {tag id}}.
        self.firm_quals: dict[int, dict[str, int | None]] = defaultdict(dict)
        self.firm_tags: dict[int, set[int]] = defaultdict(set)
        # Words of 标签 cells read as qualifications (专精特新 …), for one notice.
        self.tag_words_as_quals: set[str] = set()
        self.firms: dict[str, Enterprise] = {}
        self.current_cadre: dict[int, int] = {}
        self.users_by_username: dict[str, User] = {}
        self.users_by_name: dict[str, list[User]] = defaultdict(list)
        self.seen_codes: dict[str, int] = {}
        # Firms by folded name (fold_key), and the file's rows by folded name: (row, credit code).
        self.firms_by_name_key: dict[str, list[Enterprise]] = defaultdict(list)
        self.seen_names: dict[str, tuple[int, str]] = {}
        # What each distinct cell value reads as, for the row checks (cells.py).
        self.verdicts = Verdicts()

    def prefetch(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        # A cell with control characters is refused by its row; PostgreSQL could not even look up NUL.
        codes = {
            code
            for _, values in records
            if (
                code := clean_enterprise_data({"credit_code": cell_text(values.get("credit_code"))})[
                    "credit_code"
                ]
            )
            and not has_control_chars(code)
        }
        for chunk in _chunks(codes):
            for firm in db.session.scalars(select(Enterprise).where(Enterprise.credit_code.in_(chunk))):
                self.firms[firm.credit_code] = firm
        for chunk in _chunks(firm.id for firm in self.firms.values()):
            rows = db.session.execute(
                select(Assignment.enterprise_id, Assignment.cadre_id).where(
                    Assignment.enterprise_id.in_(chunk), Assignment.end_on.is_(None)
                )
            )
            self.current_cadre.update({firm_id: cadre_id for firm_id, cadre_id in rows})
            quals = select(FirmQualification.enterprise_id, FirmQualification.code, FirmQualification.year)
            for firm_id, code, year in db.session.execute(
                quals.where(FirmQualification.enterprise_id.in_(chunk))
            ):
                self.firm_quals[firm_id][code] = year
            tagged = select(enterprise_tags.c.enterprise_id, enterprise_tags.c.tag_id)
            for firm_id, tag_id in db.session.execute(
                tagged.where(enterprise_tags.c.enterprise_id.in_(chunk))
            ):
                self.firm_tags[firm_id].add(tag_id)
        keys = {
            fold_key(text)
            for _, values in records
            if (text := cell_text(values.get("name"))) and not has_control_chars(text)
        }
        for chunk in _chunks(keys):
            for firm in db.session.scalars(
                select(Enterprise).where(Enterprise.name_key.in_(chunk)).order_by(Enterprise.id)
            ):
                self.firms_by_name_key[firm.name_key].append(firm)
        names = {
            text
            for _, values in records
            if (text := cell_text(values.get("cadre"))) and not has_control_chars(text)
        }
        for chunk in _chunks(names):
            lowered = [name.lower() for name in chunk]
            stmt = select(User).where(or_(func.lower(User.username).in_(lowered), User.name.in_(chunk)))
            for user in db.session.scalars(stmt):
                self.users_by_username[user.username.lower()] = user
                if user not in self.users_by_name[user.name]:
                    self.users_by_name[user.name].append(user)

    def find_park(self, text: str) -> Park | None:
        return self.verdicts.plain["find park"].judged(text, self._find_park, text)

    def _find_park(self, text: str) -> Park | None:
        key = header_key(text)
        return self.parks_by_key.get(key) or self.parks_by_key.get(key.upper())

    def find_chain(self, text: str) -> IndustryChain | None:
        """The chain named by a 所属产业链 cell's text, or None."""
        return self.verdicts.plain["find chain"].judged(text, self._find_chain, text)

    def _find_chain(self, text: str) -> IndustryChain | None:
        return self.chains_by_key.get(header_key(text))

    def find_cadre(self, text: str, park: Park | None) -> tuple[User | None, str | None]:
        """The cadre meant by a username or an exact name, or (None, why not); park None checks existence."""
        user = self.users_by_username.get(text.lower())
        if user is None:
            named = [u for u in self.users_by_name.get(text, []) if u.role == "cadre"]
            if not named:
                return None, f"找不到干部“{text}”，请填写联企干部的用户名或姓名"
            if park is None:
                return named[0], None
            # Same-name cadres elsewhere do not make the name ambiguous for this park.
            fitting = [u for u in named if u.park_id in (None, park.id) and u.is_active_user]
            if len(fitting) > 1:
                return None, f"有{len(fitting)}名干部都叫“{text}”，请改填用户名"
            user = fitting[0] if fitting else named[0]
        if user.role != "cadre":
            return None, f"{user.name}（{user.username}）不是联企干部"
        if not user.is_active_user:
            return None, f"{user.name} 的账号已停用，不能担任联系干部"
        if park is not None and user.park_id not in (None, park.id):
            return None, f"{user.name} 不是{park.name}的联企干部"
        return user, None
