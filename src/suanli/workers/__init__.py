"""Background work: the loop that places, dispatches and follows jobs. Each tick owns its transactions."""
