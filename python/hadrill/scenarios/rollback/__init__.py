"""Scenario B, API rollback: configuration, traffic analysis, abort rule, startup contract, figures."""
