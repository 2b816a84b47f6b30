"""hadrill: HA failure drills as code.

The Ansible collection ``hadrill.drills`` acts on infrastructure; this package computes,
validates, renders and drives. Collection plugins stay thin and import from here.
"""

__version__ = "0.1.0"
