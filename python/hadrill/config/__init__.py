"""The drill configuration: pydantic models of every variable hadrill reads, and their validation."""

from hadrill.config.errors import ConfigError
from hadrill.config.guard import environment_class_problems, extra_var_problems, production_guard
from hadrill.config.loader import DrillConfig, register_scenario, validate

__all__ = [
    "ConfigError", "DrillConfig", "environment_class_problems", "extra_var_problems", "production_guard",
    "register_scenario", "validate",
]
