"""The app's blueprints: search (search, API, export), reading (paragraphs, reports), meta (help, health)."""
