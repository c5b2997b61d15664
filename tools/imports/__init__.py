"""CSV import of contacts: reading files, the mapping, normalisation workers and batches."""
