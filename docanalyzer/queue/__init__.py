"""The pre-bill review queue (optional extra ``docanalyzer[queue]``).

Reports are stored per document with every analysis version and every auditor's decision
(``store.QueueStore``); ``docanalyzer serve --db URL`` serves the auditor's worklist at ``/queue``
and ``POST /v1/queue``; ``docanalyzer queue ...`` is the command line. Importing this package
imports neither SQLAlchemy nor Alembic, so docanalyzer works without the extra.
"""

from __future__ import annotations

QUEUE_EXTRA_HINT = "the review queue needs the queue extra: pip install 'docanalyzer[queue]'"
