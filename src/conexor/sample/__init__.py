"""Bundled sample data: a deterministic small-shop SQLite database for the demo and tests."""

from conexor.sample.shop import build_sample_database

__all__ = ["build_sample_database"]
