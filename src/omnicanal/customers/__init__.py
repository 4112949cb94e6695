"""Customers: one profile per person, found by any identifier, linked in real time.

* ``identifiers``: normalising emails, phones (E.164), loyalty cards, device ids (pure).
* ``identity``: the deterministic resolution rules (``rules``), the graph they run on in
  memory (``graph``, pure) and its loading and writing (``store``).
* ``commerce``: orders as a timeline sees them and the computed traits (pure).
* ``service``: the use cases (record sightings, profile 360, explain, unmerge, reviews,
  metrics, probabilistic matching) and the bus consumer for domain events.

Decisions worth knowing (see the module docstrings for the why):

* Identity resolution is serialised per database (SQLite's write lock; a PostgreSQL
  advisory lock) and runs in the same transaction as the message is stored, so a profile
  reflects a message as soon as the request returns.
* Anchors (login, loyalty card, till customer number, email, mobile phone) merge profiles;
  devices, cookies and landlines only bring anonymous activity to a person, and are
  flagged as shared as soon as they are seen with a second person.
* Every row of a person carries its home profile, so an unmerge restores the originals.
"""
