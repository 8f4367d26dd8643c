"""The query side: parse, plan, match and rank over the index's stores, assemble results."""
