"""Alembic environment: runs on the connection that desk.db.upgrade_schema hands over."""

from alembic import context

from desk.db import VERSION_TABLE, Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite needs batch mode to alter tables
    # The database is shared with Rasa and the knowledge base: compare only the desk's own tables.
    include_name=lambda name, type_, parent: type_ != "table" or str(name).startswith("desk_"),
)
with context.begin_transaction():
    context.run_migrations()
