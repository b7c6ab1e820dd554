"""One account's workspace: the screen (`shell`) and one module per tab."""

from kam.screens.account.shell import AccountScreen

__all__ = ["AccountScreen"]
