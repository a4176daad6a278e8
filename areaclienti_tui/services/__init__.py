"""Business services: registration, codes, login, outbox, audit. No UI here."""
