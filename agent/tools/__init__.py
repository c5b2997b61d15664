"""Tool wiring for the agent, one module per area; each registers the tools whose capability has landed."""

MODULES = ("contacts", "imports", "demo", "enrichment", "campaigns", "conversations", "timeline", "analytics", "ads",
           "admin", "records", "campaign_doubt", "account")
