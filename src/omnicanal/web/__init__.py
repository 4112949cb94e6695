"""The web edge: server-rendered pages for store staff (``/store``) and head office, and the
customers' own preference and unsubscribe pages (``/preferences``, ``/unsubscribe``)."""
