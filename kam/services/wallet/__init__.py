"""Revenue lines and share of wallet."""
