"""Campaigns: drafting, launching, sending, deliveries, doubt, views and reports."""
