"""Files in and out of omnicanal: imports that upsert the catalogue, stock and prices, and
exports of products, stock, orders, customers and the ledger as CSV or Parquet.

Each module reads and writes its own rows (``catalog.upsert``, ``pricing.importer``,
``inventory.importer``, each module's ``exports``); this package puts them together for
the command line and the API, which both call it.
"""
