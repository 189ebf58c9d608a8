"""The schema of the hand-written version 5: meta, events, catalog_cache, sync_links, sync_log, site_jobs,
credential_rejections, snapshots. A store from before Alembic takes the hand-written steps to version 6 (store/legacy.py)
and is stamped with r0002, whose schema that is."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    op.create_table("meta", _text("key"), _text("value"), sa.PrimaryKeyConstraint("key"))
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False), sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        _text("backend"), _text("kind"), _text("level"), _text("message"), _text("method", True), _text("path", True),
        sa.Column("status", sa.Integer()), sa.Column("duration_ms", sa.Float()), sa.Column("attempt", sa.Integer()),
        _text("target", True), _text("actor", True), _text("detail"), sa.PrimaryKeyConstraint("id"))
    for column in ("ts", "backend", "target"):
        op.create_index(f"ix_events_{column}", "events", [column])
    op.create_table("catalog_cache", _text("backend"), sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
                    _text("payload"), sa.PrimaryKeyConstraint("backend"))
    op.create_table(
        "sync_links",
        sa.Column("id", sa.Integer(), nullable=False), _text("entity"), _text("left_system"), _text("left_id"),
        _text("left_key", True), _text("right_system"), _text("right_id", True), _text("status"), _text("intent", True),
        _text("fingerprint", True), _text("drift", True), sa.Column("last_synced", sa.DateTime(timezone=True)),
        _text("last_error", True), sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False), sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity", "left_system", "left_id", "right_system", name="uq_sync_link"))
    op.create_index("ix_sync_links_entity", "sync_links", ["entity"])
    op.create_index("ix_sync_links_status", "sync_links", ["status"])
    op.create_table(
        "sync_log",
        sa.Column("id", sa.Integer(), nullable=False), sa.Column("ts", sa.DateTime(timezone=True), nullable=False), _text("entity"),
        _text("operation"), _text("status"), _text("left_system"), _text("left_id"), _text("right_system"),
        _text("right_id", True), _text("request", True), _text("response", True), sa.Column("duration_ms", sa.Float()),
        _text("error", True), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_sync_log_ts", "sync_log", ["ts"])
    op.create_table(
        "site_jobs",
        sa.Column("id", sa.Integer(), nullable=False), _text("backend"), _text("domain"), _text("kind"), _text("spec"),
        _text("alt_names"), _text("analytics", True), _text("status"), _text("steps"), _text("result"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False), sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_site_jobs_backend", "site_jobs", ["backend"])
    op.create_index("ix_site_jobs_status", "site_jobs", ["status"])
    op.create_index("ix_site_jobs_domain", "site_jobs", ["domain"], unique=True)
    op.create_table("credential_rejections", _text("backend"), _text("fingerprint"), _text("message"),
                    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("backend", "fingerprint"))
    op.create_table("snapshots", _text("scope"), _text("backend"), sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
                    _text("payload"), _text("error", True), sa.Column("error_at", sa.DateTime(timezone=True)),
                    sa.PrimaryKeyConstraint("scope", "backend"))


def downgrade() -> None:
    for table in ("snapshots", "credential_rejections", "site_jobs", "sync_log", "sync_links", "catalog_cache",
                  "events", "meta"):
        op.drop_table(table)
