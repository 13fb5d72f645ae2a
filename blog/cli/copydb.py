"""copy-db: move every row of every table from the configured database to an empty one."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Column, Connection, Engine, Table, bindparam, create_engine, func, select
from sqlalchemy import inspect as inspect_schema
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, migrations

BATCH = 1000  # rows read and written at a time: memory stays flat however big the blog is


@click.command("copy-db")
@click.option(
    "--to",
    "target_url",
    required=True,
    help="SQLAlchemy URL of an empty database, e.g. postgresql+psycopg://blog@db/blog.",
)
@with_appcontext
def copy_db_command(target_url: str) -> None:
    """Copy every row into the empty database at --to, migrated to the current schema first."""
    source = db.engine
    target = create_engine(target_url)
    try:
        if target.url.render_as_string(False) == source.url.render_as_string(False):
            raise click.UsageError("--to names the database the blog already uses")
        _require_current(source)
        _require_empty(target)
        _migrate(target)
        counts = copy_rows(source, target)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"nothing was copied: {exc}") from None
    finally:
        target.dispose()
    for name, count in counts.items():
        click.echo(f"{name}: {count} rows")
    shown = target.url.render_as_string(hide_password=True)
    click.echo(f"Copied {sum(counts.values())} rows into {shown}")


def copy_rows(source: Engine, target: Engine) -> dict[str, int]:
    """Copy each table's rows, parents before children, in one target transaction."""
    counts = {}
    with source.connect() as reading, target.begin() as writing:
        if writing.dialect.name == "postgresql":
            writing.exec_driver_sql("SET LOCAL statement_timeout = 0")
        for table in db.metadata.sorted_tables:
            counts[table.name] = _copy_table(table, reading, writing)
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing)
    return counts


def _copy_table(table: Table, reading: Connection, writing: Connection) -> int:
    """Copy one table in batches; a row pointing at a row of its own table is linked after."""
    own = [c for c in table.columns if any(k.column.table is table for k in c.foreign_keys)]
    key = _single_key(table) if own else None
    links: list[dict[str, object]] = []
    query = select(table).order_by(*table.primary_key.columns)
    result = reading.execution_options(yield_per=BATCH).execute(query)
    copied = 0
    for rows in result.mappings().partitions():
        values = [dict(row) for row in rows]
        for row in values:
            if key is not None and any(row[c.name] is not None for c in own):
                links.append({"_key": row[key.name], **{c.name: row[c.name] for c in own}})
                row.update({c.name: None for c in own})
        writing.execute(table.insert(), values)
        copied += len(values)
    if links and key is not None:
        link = table.update().where(key == bindparam("_key"))
        writing.execute(link.values({c.name: bindparam(c.name) for c in own}), links)
    return copied


def _single_key(table: Table) -> Column[object]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise click.ClickException(f"{table.name}: a self-reference needs a one-column key")
    return columns[0]


def _reset_sequences(writing: Connection) -> None:
    """Make each serial column's next value follow the highest id copied."""
    quote = writing.dialect.identifier_preparer.quote
    for table in db.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(quote(table.name), column.name)
        highest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
        writing.execute(select(func.setval(sequence, highest + 1, False)))


def _require_current(source: Engine) -> None:
    from alembic.migration import MigrationContext  # imported by the commands that migrate
    from alembic.script import ScriptDirectory

    with source.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if revision != head:
        raise click.UsageError(
            f"the blog's database is at revision {revision}, not {head}: run init-db first"
        )


def _require_empty(target: Engine) -> None:
    with target.connect() as connection:
        present = set(inspect_schema(connection).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name in present and connection.execute(select(table).limit(1)).first():
                raise click.UsageError(f"the target already holds rows in {table.name}")


def _migrate(target: Engine) -> None:
    from alembic import command

    config = _alembic_config()
    with target.connect() as connection:
        config.attributes["connection"] = connection  # blog/migrations/env.py migrates it
        command.upgrade(config, "head")
        connection.commit()


def _alembic_config():  # type: ignore[no-untyped-def]
    return migrations(current_app).migrate.get_config()
