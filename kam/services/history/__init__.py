"""Who changed what: the change records, and the edits that write them."""
