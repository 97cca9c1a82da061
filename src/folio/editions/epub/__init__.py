"""The EPUB 3 edition: its package and its accessibility metadata."""
