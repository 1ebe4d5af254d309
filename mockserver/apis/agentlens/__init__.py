"""AgentLens sessions API: the pure core (canonical JSON, hash chains, session rules, seed data)."""
