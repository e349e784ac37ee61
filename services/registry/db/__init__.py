"""registry's tables, bulk inserts and queries' building blocks."""
