"""Entry point for `python -m memstore`."""

from memstore import signals

signals.install()  # before the slow imports below: a stop request is never lost

from memstore.cli import main  # noqa: E402

raise SystemExit(main())
