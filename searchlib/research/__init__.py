"""Research views over the query layer: concordance, distribution, reuse, indicators and the rest."""
