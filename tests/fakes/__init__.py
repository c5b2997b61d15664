"""Local HTTP fakes of the outside providers, following shared/CONTRACTS.md (errors, limits, signatures)."""
