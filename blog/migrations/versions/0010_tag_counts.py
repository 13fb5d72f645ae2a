"""Tags keep their count of published posts (posts.tagcounts), counted once here

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE tags SET published_count = (SELECT count(*) FROM post_tags"
        " JOIN posts ON posts.id = post_tags.post_id"
        " WHERE post_tags.tag_id = tags.id AND posts.status = 'published'"
        " AND posts.published_at IS NOT NULL)"
    )


def downgrade():
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("published_count")
