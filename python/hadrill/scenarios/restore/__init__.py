"""Scenario A, database restore: configuration, restore steps and figures.

The role ``hadrill.drills.db_restore`` drives the drill; the ``restore_*`` action plugins call
the modules of this package, which hold the logic (targets, canary, snapshot, instance,
smoke), and ``figures.summarize`` turns the recording into the scenario summary.
"""
