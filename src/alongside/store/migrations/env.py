"""Alembic environment. The URL comes from the caller's config, else ALONGSIDE_DATABASE_URL."""

from alembic import context

from alongside.store.database import default_database_url, make_engine, normalise_url
from alongside.store.tables import Base

config = context.config
url = normalise_url(config.get_main_option("sqlalchemy.url") or default_database_url())
connection = config.attributes.get("connection")


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
