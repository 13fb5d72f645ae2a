"""the search index: FTS5 on SQLite, a tsvector under GIN on PostgreSQL; every post indexed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

"""

from alembic import op

from blog.search import rebuild, schema

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Dialect-specific DDL the models do not describe (blog/search/schema.py), then the rows.
    connection = op.get_bind()
    schema.create(connection)
    rebuild(connection)


def downgrade():
    schema.drop(op.get_bind())
