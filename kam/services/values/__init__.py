"""Values as people type and read them: parsing, formatting, periods of time."""
