"""Forms, confirmations and pickers: the modal screens other screens open."""
