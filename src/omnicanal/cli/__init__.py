"""The operator's command line: ``omnicanal``."""
