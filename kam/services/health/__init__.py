"""Account health and early warnings of churn, and the customer's feedback behind them."""
