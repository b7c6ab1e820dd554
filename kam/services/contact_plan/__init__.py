"""Contact plans: cadence rules, plan items, logged activities and the agenda."""
