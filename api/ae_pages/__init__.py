"""Account executive pages behind signed links: /ae/<purpose>/<token>."""
