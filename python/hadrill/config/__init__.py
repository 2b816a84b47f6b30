"""The drill configuration: pydantic models of every variable hadrill reads, and their validation."""

from hadrill.config.errors import ConfigError
from hadrill.config.loader import DrillConfig, register_scenario, validate

__all__ = ["ConfigError", "DrillConfig", "register_scenario", "validate"]
