"""agents (issue 18): a post's AI usage override, authors' signing keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "author_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("thumbprint", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thumbprint"),
    )
    op.create_index("ix_author_keys_author_id", "author_keys", ["author_id"])
    # Plain ADD COLUMNs: a batch rebuild of posts on SQLite (foreign keys on) would
    # cascade-delete its tag links when the old table is dropped.
    # server_default fills the rows that exist: they keep the blog's preferences.
    op.add_column(
        "posts", sa.Column("ai_usage", sa.String(length=100), nullable=False, server_default="")
    )
    # Posts written before keys existed sign with their author's current key.
    if op.get_bind().dialect.name == "sqlite":  # Alembic adds no constraint there; SQL can
        op.execute(
            "ALTER TABLE posts ADD COLUMN signing_key_id INTEGER REFERENCES author_keys (id)"
        )
    else:
        op.add_column("posts", sa.Column("signing_key_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_posts_signing_key_id_author_keys",
            "posts",
            "author_keys",
            ["signing_key_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("signing_key_id")
        batch.drop_column("ai_usage")
    op.drop_index("ix_author_keys_author_id", table_name="author_keys")
    op.drop_table("author_keys")
