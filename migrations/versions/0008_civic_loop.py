"""civic loop: report progress and updates, responsible bodies, agents, followers, English theme labels

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs, never a table rebuild: SpatiaLite keeps the geometry column and its spatial index.
    # Alembic cannot add a foreign key to an SQLite table, so SQL says it inline there.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("reports", sa.Column("progress", sa.String(length=12), nullable=False, server_default="submitted"))
    op.add_column("reports", sa.Column("body_code", sa.String(length=9), nullable=True))
    if sqlite:
        op.execute("ALTER TABLE reports ADD COLUMN duplicate_of_id INTEGER REFERENCES reports (id) ON DELETE SET NULL")
    else:
        op.add_column("reports", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_reports_duplicate_of_id", "reports", "reports", ["duplicate_of_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_reports_body_code", "reports", ["body_code"])
    op.add_column("themes", sa.Column("routing", sa.String(length=12), nullable=False, server_default="commune"))
    op.add_column("themes", sa.Column("label_en", sa.String(length=80), nullable=True))
    op.add_column("users", sa.Column("body_code", sa.String(length=9), nullable=True))
    op.add_column("api_keys", sa.Column("body_code", sa.String(length=9), nullable=True))
    op.create_table(
        "report_updates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("progress", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("body_code", sa.String(length=9), nullable=True),
        sa.Column("author_kind", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("api_key_id", sa.Integer(), sa.ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True),
        sa.Column("media_url", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_report_updates_report_created", "report_updates", ["report_id", "created_at"])
    op.create_index("ix_report_updates_created_at", "report_updates", ["created_at"])
    op.create_table(
        "report_follows",
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("contributor", sa.String(length=40), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_follows_contributor", "report_follows", ["contributor"])


def downgrade():
    op.drop_index("ix_report_follows_contributor", table_name="report_follows")
    op.drop_table("report_follows")
    op.drop_index("ix_report_updates_created_at", table_name="report_updates")
    op.drop_index("ix_report_updates_report_created", table_name="report_updates")
    op.drop_table("report_updates")
    op.drop_column("api_keys", "body_code")
    op.drop_column("users", "body_code")
    op.drop_column("themes", "label_en")
    op.drop_column("themes", "routing")
    op.drop_index("ix_reports_body_code", table_name="reports")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE reports DROP COLUMN duplicate_of_id")
    else:
        op.drop_constraint("fk_reports_duplicate_of_id", "reports", type_="foreignkey")
        op.drop_column("reports", "duplicate_of_id")
    op.drop_column("reports", "body_code")
    op.drop_column("reports", "progress")
