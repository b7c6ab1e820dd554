"""The weekly account review: its queue, the card, what the meeting writes, the account plan."""
