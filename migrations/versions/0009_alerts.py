"""alerts: email subscriptions to a report or an area, and the messages sent

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("territoire_code", sa.String(length=9), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.Column("themes", sa.String(length=500), nullable=False),
        sa.Column("target_key", sa.String(length=600), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_update_id", sa.Integer(), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_alert_subscriptions_email", "alert_subscriptions", ["email"])
    op.create_index("ix_alert_subscriptions_report_id", "alert_subscriptions", ["report_id"])
    op.create_index("ix_alert_subscriptions_confirmed_at", "alert_subscriptions", ["confirmed_at"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscription_id", sa.Integer(), sa.ForeignKey("alert_subscriptions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subscription_id", "kind", "ref", name="uq_alert_deliveries"),
    )


def downgrade():
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_subscriptions_confirmed_at", table_name="alert_subscriptions")
    op.drop_index("ix_alert_subscriptions_report_id", table_name="alert_subscriptions")
    op.drop_index("ix_alert_subscriptions_email", table_name="alert_subscriptions")
    op.drop_table("alert_subscriptions")
