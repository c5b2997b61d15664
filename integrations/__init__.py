"""The outside world over httpx, one client per provider, each with a sandbox twin. Never imports db or tools."""
