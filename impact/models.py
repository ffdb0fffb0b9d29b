"""Models of the impact app (built by a later issue)."""
