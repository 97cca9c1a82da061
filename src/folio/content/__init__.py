"""Content: the chapters converted and the sections rendered, gathered into one checked Report."""
