"""One package per mocked API: its pure core (rules, seed data) and, later, its handlers."""
