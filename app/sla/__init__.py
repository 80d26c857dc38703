"""Service levels: the business calendar, the clocks of each ticket, pauses and warnings."""
