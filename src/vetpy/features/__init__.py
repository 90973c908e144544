"""Features: static signals from an opened archive (metadata, code, text), each with its evidence."""
