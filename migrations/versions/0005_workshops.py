"""facilitation: workshops, and the workshop a report was posted in

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("themes", sa.String(length=400), nullable=False),
        sa.Column("territoire_code", sa.String(length=9), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    # Workshops are closed, never deleted. A plain ADD COLUMN, never a table rebuild: SpatiaLite keeps the geometry column and its
    # spatial index. Alembic cannot add a foreign key to an SQLite table, so SQL says it inline there.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reports ADD COLUMN workshop_id INTEGER REFERENCES workshops (id)")
    else:
        op.add_column("reports", sa.Column("workshop_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_reports_workshop_id", "reports", "workshops", ["workshop_id"], ["id"])
    op.create_index("ix_reports_workshop_id", "reports", ["workshop_id"], unique=False)


def downgrade():
    op.drop_index("ix_reports_workshop_id", table_name="reports")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reports DROP COLUMN workshop_id")
    else:
        op.drop_constraint("fk_reports_workshop_id", "reports", type_="foreignkey")
        op.drop_column("reports", "workshop_id")
    op.drop_table("workshops")
