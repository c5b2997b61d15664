"""Dramatiq broker set-up, actors and the periodic scheduler. Import `workers.broker` before any actor module."""
