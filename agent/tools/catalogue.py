"""Every tool of the agent. Importing this module imports each area's wiring module, in the order listed (the
order the model sees the tools); a module that fails to import fails start-up and the tests. The package's
__init__ stays empty so that importing one helper of agent/tools (common, registry) pulls in nothing else."""

# ruff: noqa: I001  (the area modules are imported in the tools' order, not alphabetically)
from __future__ import annotations

from agent.tools.registry import ToolSpec, registered
from agent.tools import (  # noqa: F401  (each registers its tools when imported)
    contacts,
    imports,
    demo,
    enrichment,
    campaigns,
    email_design,
    sequences,
    conversations,
    timeline,
    analytics,
    ads,
    admin,
    records,
    campaign_doubt,
    account,
    merge,
    erase,
)


def get(name: str) -> ToolSpec | None:
    """The tool called `name`, or None."""
    return registered().get(name)


def all_specs() -> list[ToolSpec]:
    """Every tool, in registration order."""
    return list(registered().values())
