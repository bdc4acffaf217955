"""Alembic environment: runs on the connection that knowledge_base.db.upgrade_schema hands over."""

from alembic import context

from knowledge_base.db import VERSION_TABLE, Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite needs batch mode to alter tables
)
with context.begin_transaction():
    context.run_migrations()
