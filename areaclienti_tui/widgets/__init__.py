"""Reusable widgets: labelled fields, the outbox pane, the password meter."""
