"""Storage: SQLModel tables, the engine, migrations and the customer importer."""
