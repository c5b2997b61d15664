"""contacts.city_folded / region_folded / company_folded: the accent- and case-folded copies the filters compare
(indexed), so "city = Montreal" is an index look-up again instead of a regex scan of every contact; the lower() and
plain indexes on city, company and region go (no query uses them any more), so each contact write keeps 3 of 5.

Backfill: each distinct value is folded once in Python (domain.folding.fold_key, the function every write path
uses), then one set-based UPDATE per column joins a temporary table of (value, folded).

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.folding import FOLDED_FIELDS, fold_key

revision: str = "0009"
down_revision: str | tuple[str, ...] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SIZES = {"city": 200, "region": 200, "company": 300}
_OLD_LOWER = {"city": "ix_contacts_lower_city", "company": "ix_contacts_lower_company",
              "region": "ix_contacts_lower_region"}
_OLD_PLAIN = {"city": "ix_contacts_city", "company": "ix_contacts_company"}


def upgrade() -> None:
    for field, column in FOLDED_FIELDS.items():
        op.add_column("contacts", sa.Column(column, sa.String(length=_SIZES[field]), nullable=True))
    bind = op.get_bind()
    for field, column in FOLDED_FIELDS.items():
        _backfill(bind, field, column)
    for field, column in FOLDED_FIELDS.items():
        op.create_index(f"ix_contacts_{column}", "contacts", [column], unique=False)
    for name in (*_OLD_LOWER.values(), *_OLD_PLAIN.values()):
        op.drop_index(name, table_name="contacts")


def _backfill(bind: sa.Connection, field: str, column: str) -> None:
    values = bind.execute(sa.text(f"SELECT DISTINCT {field} FROM contacts WHERE {field} IS NOT NULL")).scalars()
    pairs = [{"value": v, "folded": fold_key(v)} for v in values]
    if not pairs:
        return
    bind.execute(sa.text("CREATE TEMPORARY TABLE fold_backfill (value VARCHAR(300) PRIMARY KEY, folded VARCHAR(300))"))
    for start in range(0, len(pairs), 10_000):
        bind.execute(sa.text("INSERT INTO fold_backfill (value, folded) VALUES (:value, :folded)"),
                     pairs[start:start + 10_000])
    bind.execute(sa.text(f"UPDATE contacts SET {column} = (SELECT folded FROM fold_backfill "
                         f"WHERE fold_backfill.value = contacts.{field}) WHERE {field} IS NOT NULL"))
    bind.execute(sa.text("DROP TABLE fold_backfill"))


def downgrade() -> None:
    for name in _OLD_PLAIN.values():
        op.create_index(name, "contacts", [name.removeprefix("ix_contacts_")], unique=False)
    for field, name in _OLD_LOWER.items():
        op.create_index(name, "contacts", [sa.text(f"lower({field})")], unique=False)
    for column in FOLDED_FIELDS.values():
        op.drop_index(f"ix_contacts_{column}", table_name="contacts")
        op.drop_column("contacts", column)
