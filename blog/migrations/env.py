import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Alembic's own log lines, without silencing the loggers the app (or gunicorn) set up.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    """The app's engine (Flask-SQLAlchemy 3), with its SQLite set-up."""
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime columns as what they are in the database: DateTime(timezone=True)."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Leave the search index's tables (made by raw DDL, see blog/search/schema.py) alone."""
    from blog.search.schema import is_index_object

    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not is_index_object(table)


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("include_object", include_object)

    # copy-db migrates another database than the app's: it passes that connection in.
    given = config.attributes.get("connection")
    if given is not None:
        migrate_on(given, conf_args)
        return
    with get_engine().connect() as connection:
        migrate_on(connection, conf_args)


def migrate_on(connection, conf_args):
    """Apply the migrations on this connection, with no statement timeout on PostgreSQL."""
    if connection.dialect.name == "postgresql":
        # BLOG_DB_STATEMENT_TIMEOUT bounds requests; building an index may take longer.
        connection.exec_driver_sql("SET statement_timeout = 0")
        connection.commit()
    if connection.dialect.name == "sqlite":
        # A batch migration copies a table and drops the old one: with foreign keys on, that
        # drop would cascade into every row pointing at it (tag links, idempotency keys).
        # The pragma works only outside a transaction: say it to the driver directly.
        _sqlite_foreign_keys(connection, "OFF")
    context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.dialect.name == "sqlite":
            _sqlite_foreign_keys(connection, "ON")


def _sqlite_foreign_keys(connection, state):
    if not connection.in_transaction():
        connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={state}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
