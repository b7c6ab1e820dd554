"""People: the customer's contacts and the account team on our side."""
