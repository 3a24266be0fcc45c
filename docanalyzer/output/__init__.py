"""Report formats: text for a person, JSON/JSONL for tools, CSV for worklists."""
