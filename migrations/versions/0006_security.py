"""security: merge the 0004/0005 heads; session tokens, withdrawal links, flag sources, contact dates

Revision ID: 0006
Revises: 0004, 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = ("0004", "0005")
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs, never a table rebuild: SpatiaLite keeps the geometry column and its spatial index.
    # A staff session carries this token, rotated at logout: a cookie captured before then stops working.
    op.add_column("users", sa.Column("session_token", sa.String(length=64), nullable=True))
    op.create_index("ix_users_session_token", "users", ["session_token"], unique=True)
    # SHA-256 of the private link that lets a resident withdraw what they posted (shown once).
    op.add_column("reports", sa.Column("withdraw_hash", sa.String(length=64), nullable=True))
    op.add_column("comments", sa.Column("withdraw_hash", sa.String(length=64), nullable=True))
    # A keyed hash of the flagger's address: automatic hiding needs distinct addresses, not only
    # distinct cookies, which a client mints freely.
    op.add_column("flags", sa.Column("source", sa.String(length=64), nullable=True))
    # Open311 contacts are erased after a retention period, counted from this date.
    op.add_column("report_contacts", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE report_contacts SET created_at = "
        "(SELECT reports.created_at FROM reports WHERE reports.id = report_contacts.report_id)"
    )


def downgrade():
    op.drop_column("report_contacts", "created_at")
    op.drop_column("flags", "source")
    op.drop_column("comments", "withdraw_hash")
    op.drop_column("reports", "withdraw_hash")
    op.drop_index("ix_users_session_token", table_name="users")
    op.drop_column("users", "session_token")
