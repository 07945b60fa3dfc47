"""企业画像 and 惠企政策: managed tags and firm qualifications (with year); the policy library with its
conditions as rows, the firm–policy pairs and their steps. The firms' free-text tags move over: a word
naming a qualification (专精特新, 高新技术企业 …) becomes that qualification, any other word a managed
tag; then the free-text column goes. Downgrade writes the names back as text.

Revision ID: 9d41c6b2e7f5
Revises: a4f6c2e8d913
Create Date: 2026-12-02 10:43:27

"""

import re
import unicodedata
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "9d41c6b2e7f5"
down_revision = "a4f6c2e8d913"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "enterprise_tags",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_enterprise_tags_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_enterprise_tags_tag_id_tags")),
        sa.PrimaryKeyConstraint("enterprise_id", "tag_id", name=op.f("pk_enterprise_tags")),
    )
    with op.batch_alter_table("enterprise_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "firm_qualifications",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_firm_qualifications_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "code", name=op.f("pk_firm_qualifications")),
    )
    with op.batch_alter_table("firm_qualifications", schema=None) as batch_op:
        batch_op.create_index("ix_firm_qualifications_code", ["code", "enterprise_id", "year"], unique=False)

    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("doc_no", sa.String(length=100), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_stored", sa.String(length=100), nullable=True),
        sa.Column("file_type", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("apply_from", sa.Date(), nullable=True),
        sa.Column("apply_to", sa.Date(), nullable=True),
        sa.Column("benefit_kind", sa.String(length=16), nullable=False),
        sa.Column("max_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("remind_days", sa.Integer(), server_default="10", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("scale_type", sa.String(length=8), nullable=True),
        sa.Column("founded_from", sa.Date(), nullable=True),
        sa.Column("founded_to", sa.Date(), nullable=True),
        sa.Column("qualified_since", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_policies_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], name=op.f("fk_policies_park_id_parks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policies_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_policies_status_apply_to", ["status", "apply_to"], unique=False)

    op.create_table(
        "policy_chains",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"], ["industry_chains.id"], name=op.f("fk_policy_chains_chain_id_industry_chains")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_chains_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "chain_id", name=op.f("pk_policy_chains")),
    )
    with op.batch_alter_table("policy_chains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_chains_chain_id"), ["chain_id"], unique=False)

    op.create_table(
        "policy_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["delivered_by_id"], ["users.id"], name=op.f("fk_policy_matches_delivered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_policy_matches_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_matches_policy_id_policies")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_policy_matches_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_matches")),
        sa.UniqueConstraint("policy_id", "enterprise_id", name="uq_policy_matches_policy_firm"),
    )
    with op.batch_alter_table("policy_matches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_policy_matches_enterprise_status", ["enterprise_id", "status"], unique=False
        )
        batch_op.create_index("ix_policy_matches_status_policy", ["status", "policy_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_matches_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "policy_parks",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], name=op.f("fk_policy_parks_park_id_parks")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_parks_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "park_id", name=op.f("pk_policy_parks")),
    )
    with op.batch_alter_table("policy_parks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_parks_park_id"), ["park_id"], unique=False)

    op.create_table(
        "policy_qualifications",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_qualifications_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "code", name=op.f("pk_policy_qualifications")),
    )
    op.create_table(
        "policy_sizes",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_sizes_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("policy_id", "size", name=op.f("pk_policy_sizes")),
    )
    op.create_table(
        "policy_tags",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_tags_policy_id_policies")
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_policy_tags_tag_id_tags")),
        sa.PrimaryKeyConstraint("policy_id", "tag_id", name=op.f("pk_policy_tags")),
    )
    with op.batch_alter_table("policy_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "policy_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("by_firm", sa.Boolean(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_policy_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_policy_events_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["policy_matches.id"], name=op.f("fk_policy_events_match_id_policy_matches")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_events_policy_id_policies")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_policy_events_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_events")),
    )
    with op.batch_alter_table("policy_events", schema=None) as batch_op:
        batch_op.create_index("ix_policy_events_enterprise_at", ["enterprise_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_events_match_id"), ["match_id"], unique=False)
        batch_op.create_index("ix_policy_events_policy_day", ["policy_id", "happened_on"], unique=False)

    # Outside batch mode, as the column below: batch mode would recreate the firms' table.
    op.create_index(
        "ix_enterprises_profile",
        "enterprises",
        ["status", "park_id", "chain_id", "size", "scale_type", "founded_on"],
        unique=False,
    )

    _move_free_tags()
    # Not in batch mode: recreating the firms' table would trip SQLite's foreign keys (every firm is
    # referenced); SQLite 3.35+ and PostgreSQL drop an unindexed column in place.
    op.drop_column("enterprises", "tags")


def downgrade():
    op.add_column("enterprises", sa.Column("tags", sa.String(length=300), nullable=True))
    _restore_free_tags()
    op.drop_index("ix_enterprises_profile", table_name="enterprises")

    with op.batch_alter_table("policy_events", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_events_policy_day")
        batch_op.drop_index(batch_op.f("ix_policy_events_match_id"))
        batch_op.drop_index("ix_policy_events_enterprise_at")

    op.drop_table("policy_events")
    with op.batch_alter_table("policy_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_tags_tag_id"))

    op.drop_table("policy_tags")
    op.drop_table("policy_sizes")
    op.drop_table("policy_qualifications")
    with op.batch_alter_table("policy_parks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_parks_park_id"))

    op.drop_table("policy_parks")
    with op.batch_alter_table("policy_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_matches_visit_id"))
        batch_op.drop_index("ix_policy_matches_status_policy")
        batch_op.drop_index("ix_policy_matches_enterprise_status")

    op.drop_table("policy_matches")
    with op.batch_alter_table("policy_chains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_chains_chain_id"))

    op.drop_table("policy_chains")
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_index("ix_policies_status_apply_to")
        batch_op.drop_index(batch_op.f("ix_policies_park_id"))

    op.drop_table("policies")
    with op.batch_alter_table("firm_qualifications", schema=None) as batch_op:
        batch_op.drop_index("ix_firm_qualifications_code")

    op.drop_table("firm_qualifications")
    with op.batch_alter_table("enterprise_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_tags_tag_id"))

    op.drop_table("enterprise_tags")
    op.drop_table("tags")


# What the ledgers' free-text tags may call a qualification (as of this revision; the app's own list lives in
# crm.services.enterprises.profile and may grow without changing what this migration did).
QUALIFICATION_WORDS = {
    "高新技术企业": "hnte", "高企": "hnte", "国家高新技术企业": "hnte", "高新企业": "hnte",
    "科技型中小企业": "tech_sme", "科小": "tech_sme",
    "专精特新": "srdi", "专精特新企业": "srdi", "专精特新中小企业": "srdi",
    "省级专精特新": "srdi_province", "省级专精特新中小企业": "srdi_province",
    "小巨人": "little_giant", "专精特新小巨人": "little_giant", "国家级专精特新小巨人企业": "little_giant",
    "瞪羚": "gazelle", "瞪羚企业": "gazelle", "独角兽": "unicorn", "独角兽企业": "unicorn",
    "上市": "listed", "上市企业": "listed", "上市公司": "listed",
    "挂牌": "quoted", "新三板": "quoted", "新三板挂牌": "quoted", "挂牌企业": "quoted",
}  # fmt: skip
LABELS = {
    "hnte": "高新技术企业", "tech_sme": "科技型中小企业", "srdi": "专精特新中小企业",
    "srdi_province": "省级专精特新中小企业", "little_giant": "国家级专精特新“小巨人”企业", "gazelle": "瞪羚企业",
    "unicorn": "独角兽企业", "listed": "上市企业", "quoted": "挂牌企业（新三板/区域股权市场）",
}  # fmt: skip
SEPARATORS = re.compile(r"[、,，;；/\s]+")
TAG_MAX = 30


def _fold(text):
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\"'“”‘’")


def _move_free_tags():
    """enterprises.tags (free text) -> firm_qualifications and managed tags + enterprise_tags."""
    bind = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    quals = {_fold(word): code for word, code in QUALIFICATION_WORDS.items()}
    rows = bind.execute(
        sa.text("SELECT id, tags FROM enterprises WHERE tags IS NOT NULL AND tags <> ''")
    ).all()
    tag_ids = {}
    for firm_id, text in rows:
        seen_codes, seen_tags = set(), set()
        for word in (w.strip() for w in SEPARATORS.split(text or "")):
            if not word:
                continue
            code = quals.get(_fold(word))
            if code is not None:
                if code not in seen_codes:
                    seen_codes.add(code)
                    bind.execute(
                        sa.text(
                            "INSERT INTO firm_qualifications (enterprise_id, code, created_at) VALUES (:f, :c, :t)"
                        ),
                        {"f": firm_id, "c": code, "t": now},
                    )
                continue
            name = word[:TAG_MAX]
            key = _fold(name)
            if key not in tag_ids:
                bind.execute(
                    sa.text(
                        "INSERT INTO tags (name, sort_order, is_active, created_at) VALUES (:n, :o, :a, :t)"
                    ),
                    {"n": name, "o": len(tag_ids) + 1, "a": True, "t": now},
                )
                tag_ids[key] = bind.execute(
                    sa.text("SELECT id FROM tags WHERE name = :n"), {"n": name}
                ).scalar_one()
            if tag_ids[key] not in seen_tags:
                seen_tags.add(tag_ids[key])
                bind.execute(
                    sa.text("INSERT INTO enterprise_tags (enterprise_id, tag_id) VALUES (:f, :t)"),
                    {"f": firm_id, "t": tag_ids[key]},
                )


def _restore_free_tags():
    """The firms' qualifications and tags written back as free text (downgrade)."""
    bind = op.get_bind()
    words = {}
    for firm_id, code in bind.execute(
        sa.text("SELECT enterprise_id, code FROM firm_qualifications ORDER BY code")
    ):
        words.setdefault(firm_id, []).append(LABELS.get(code, code))
    tags_sql = "SELECT et.enterprise_id, t.name FROM enterprise_tags et JOIN tags t ON t.id = et.tag_id ORDER BY t.id"
    for firm_id, name in bind.execute(sa.text(tags_sql)):
        words.setdefault(firm_id, []).append(name)
    for firm_id, names in words.items():
        bind.execute(
            sa.text("UPDATE enterprises SET tags = :t WHERE id = :f"),
            {"t": ",".join(names)[:300], "f": firm_id},
        )
