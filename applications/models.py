"""Models of the applications app (built by a later issue)."""
