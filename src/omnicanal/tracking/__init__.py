"""Tracking: the Segment-compatible collection API (identify, track, page...) and its
write keys. Messages are resolved to profiles by the customers module, in the same
transaction as they are stored."""
