"""Acquire: open archives safely and fetch releases from a package index."""
