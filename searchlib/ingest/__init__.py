"""Raw files to reports: what to read, bytes to text, cleaning, report structure and metadata, places."""
