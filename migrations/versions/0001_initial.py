"""initial schema: communes, arrondissements, themes, reports, tags

Revision ID: 0001
Revises:
Create Date: 2026-11-27 09:48:51.376590

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_geospatial_table(
        "arrondissements",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("nom", sa.String(length=120), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("arrondissements", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_arrondissements_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )

    op.create_geospatial_table(
        "communes",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("nom", sa.String(length=120), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("territoire_code", sa.String(length=9), nullable=False),
        sa.Column("territoire_nom", sa.String(length=120), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_communes_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_communes_departement"), ["departement"], unique=False)
        batch_op.create_index(batch_op.f("ix_communes_territoire_code"), ["territoire_code"], unique=False)

    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_geospatial_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=True),
        sa.Column("location_text", sa.String(length=200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("arrondissement_code", sa.String(length=5), nullable=True),
        sa.Column("h3_7", sa.String(length=16), nullable=False),
        sa.Column("h3_8", sa.String(length=16), nullable=False),
        sa.Column("h3_9", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("source_name", sa.String(length=80), nullable=True),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("contributor", sa.String(length=40), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arrondissement_code"],
            ["arrondissements.code"],
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["communes.code"],
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
        sa.UniqueConstraint("source_name", "external_id", name="uq_reports_external"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_reports_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_reports_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_contributor"), ["contributor"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_h3_7"), ["h3_7"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_h3_8"), ["h3_8"], unique=False)
        batch_op.create_index("ix_reports_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index("ix_reports_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "report_tags",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", "tag"),
    )
    with op.batch_alter_table("report_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_tags_tag"), ["tag"], unique=False)


def downgrade():
    op.drop_table("report_tags")
    op.drop_geospatial_table("reports")
    op.drop_table("themes")
    op.drop_geospatial_table("communes")
    op.drop_geospatial_table("arrondissements")
