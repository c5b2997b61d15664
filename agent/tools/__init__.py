"""Tool wiring for the agent, one module per area. Importing the package registers every area's tools, in the
order listed here (the order the model sees them); a module that fails to import fails start-up and the tests."""

from agent.tools import (  # noqa: I001, F401  (the order is the tools' order)
    contacts,
    imports,
    demo,
    enrichment,
    campaigns,
    conversations,
    timeline,
    analytics,
    ads,
    admin,
    records,
    campaign_doubt,
    account,
)
