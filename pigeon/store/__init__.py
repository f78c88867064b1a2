"""Storage: SQLAlchemy Core schema, queries and Alembic migrations. Knows no AWS error and no HTTP."""
