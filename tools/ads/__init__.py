"""Ads: drafts within each platform's limits, audiences, the model and bulk CSV files."""
