"""Locations (stores, warehouses, ...) and channels, and which locations fulfil which channel."""
