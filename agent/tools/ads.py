"""Wiring placeholder: filled when the capability lands."""
