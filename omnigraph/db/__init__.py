"""Persistence: SQLAlchemy models, engines and the mapping between rows and domain values."""
