"""Files in and out: CSV and xlsx tables, imports, exports, calendar files."""
