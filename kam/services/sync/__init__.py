"""A laptop's copy of the team database: joining it, and syncing with it."""
