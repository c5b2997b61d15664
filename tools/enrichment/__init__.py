"""Enrichment: the queue, the pipeline, its sources and model, and applying reviewed fields."""
