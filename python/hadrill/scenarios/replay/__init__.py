"""Scenario C, worker recovery and replay: configuration, backlog analysis, replay proof, figures."""
