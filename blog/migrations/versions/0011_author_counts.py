"""Authors keep their count of published posts (posts.counts), counted once here

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "author_counts",
        sa.Column("author_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("published", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("author_id"),
    )
    op.execute(
        "INSERT INTO author_counts (author_id, published) SELECT author_id, count(*)"
        " FROM posts WHERE status = 'published' AND published_at IS NOT NULL"
        " GROUP BY author_id"
    )


def downgrade():
    op.drop_table("author_counts")
