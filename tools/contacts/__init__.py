"""Contacts: records, lookup, the card, changes, opt-outs, history, timeline and merges."""
