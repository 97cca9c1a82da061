"""The PDF editions: their one HTML document, its layout by WeasyPrint, the cover image."""
