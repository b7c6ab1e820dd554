"""The portfolio as a whole: the dashboard's overview and its headline indicators."""
