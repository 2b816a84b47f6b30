"""Background samplers: the traffic probe, write traffic, the canary writer, the backlog sampler.

One mechanism for all of them: a sampler is a separate Python process started and stopped
from a playbook (``hadrill.drills.sampler``), described by a spec file, writing one JSON line
per sample into ``samples/<name>.jsonl`` of the evidence directory. Each kind only says how to
take one sample; the loop, the pacing, the bounds and the shutdown are shared.
"""
