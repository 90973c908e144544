"""The one pass over a Python file: syntax tree (or a regex fallback) -> frozen :class:`FileFacts`."""
