"""The domain: rules, calculations and queries. No Textual here."""
