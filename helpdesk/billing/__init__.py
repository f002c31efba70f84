"""The billing area."""
