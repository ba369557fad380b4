"""Storage: SQLAlchemy 2 mappings, repositories and the unit of work, on SQLite or PostgreSQL."""
