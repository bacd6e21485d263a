"""Shared pytest configuration: the database backend comes from DATABASE_URL (default SQLite)."""
