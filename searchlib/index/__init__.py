"""Reports to the index: the writer, and the per-segment stores the query side reads."""
