"""Helpers for the SQL the services write: bulk id lists and query-planner hints."""
