"""Messages that never contradict the truth (ADR 0026): the consent ledger, triggers and
journeys on the platform's events, segments, templates per language, one pure message
policy asked before anything is sent and again at the moment of sending, and delivery by
e-mail, SMS and push with a delivery log."""
