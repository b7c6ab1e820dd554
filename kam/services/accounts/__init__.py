"""Accounts: the list and its filters, and creating and editing an account."""
