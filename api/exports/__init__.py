"""Streaming CSV exports for the PM: cohort progress, deals, AE feedback, a partner's timeline."""
