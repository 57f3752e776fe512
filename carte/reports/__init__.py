"""Use cases of a report: validate, create, read. Called by the routes."""
