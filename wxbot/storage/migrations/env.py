"""Alembic's environment for wxbot: migrate the connection wxbot hands over (no alembic.ini).

Run revisions through ``wxbot db upgrade`` (or any wxbot start), and make new ones with
``wxbot db revision MESSAGE``: both pass the connection in ``Config.attributes``.
"""

from alembic import context

from wxbot.storage import db  # noqa: F401  (imports every table module: the metadata is whole)
from wxbot.storage.migrations import context_options, quiet_autogenerate

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise SystemExit("wxbot migrates a live database only: use `wxbot db upgrade`")

context.configure(connection=connection, **context_options())
with context.begin_transaction(), quiet_autogenerate():
    context.run_migrations()
