"""The *Approuver* / *Rouvrir* links a recipient's mail carries (empty when none applies)."""

from __future__ import annotations


def links_for(ticket, event, recipient) -> dict:
    """Template values for the message to `recipient` about `event` ({} = no links)."""
    return {}
