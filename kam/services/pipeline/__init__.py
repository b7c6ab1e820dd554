"""Opportunities: the deal list, the board, the forecast and the writes to a deal."""
