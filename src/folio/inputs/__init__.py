"""Inputs: read and validate the project (data/, the reading order, the chapters); nothing is written."""
