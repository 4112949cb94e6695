"""The platform every domain module stands on: settings, database, ids, time, events, auth."""
