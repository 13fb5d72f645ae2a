"""authors.quota_hour/quota_day and tokens.quota_hour/quota_day: posts per hour and per day

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("authors", "tokens")
COLUMNS = ("quota_hour", "quota_day")


def upgrade():
    # Plain ADD COLUMNs: a batch rebuild on SQLite would cascade-delete the rows that refer
    # to authors and tokens (posts, idempotency keys).
    for table in TABLES:
        for column in COLUMNS:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in COLUMNS:
                batch_op.drop_column(column)
