"""Classification: Pareto classes and value tiers, and the A-E segments."""
