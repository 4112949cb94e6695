"""The web edge: server-rendered pages for store staff (``/store``) and head office."""
