"""Measures from the data itself; fed by events, never by other modules' tables."""
