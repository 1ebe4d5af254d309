"""mockgate's mock server: specs, seed data and (soon) the stateful mocks built on them."""

__version__ = "0.1.0"
