"""The HTTP service (optional extra ``docanalyzer[server]``): ``docanalyzer serve``.

``create_app()`` builds the FastAPI application; ``run_server()`` starts uvicorn with it. Importing
this package imports neither FastAPI nor uvicorn.
"""

from __future__ import annotations

SERVER_EXTRA_HINT = "the HTTP service needs the server extra: pip install 'docanalyzer[server]'"
