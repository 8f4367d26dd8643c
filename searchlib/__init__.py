"""searchlib: full-text search over China's local-government rule-of-law reports.

The data flows one way, one module a stage: ``source`` (raw file -> text) -> ``clean`` -> ``report`` (metadata,
sections, paragraphs) -> ``indexing`` (Whoosh index on disk) -> ``query`` (query tree) -> ``engine`` (tree -> Whoosh) ->
``search`` (results, facets, snippets) -> ``cli``.
"""
__version__ = "0.1.0"
