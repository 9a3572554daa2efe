"""Run the desk with uvicorn (``customs-risk desk --host 127.0.0.1 --port 8000``)."""
from __future__ import annotations

import logging

from core.settings import get_settings

log = logging.getLogger(__name__)


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    import uvicorn

    from customs_risk.desk.app import create_app

    settings = get_settings()
    log.info("desk on http://%s:%d (store %s)", host, port, settings.desk_url)
    if workers > 1:
        uvicorn.run("customs_risk.desk.app:create_app", factory=True, host=host, port=port, workers=workers,
                    proxy_headers=False, server_header=False)
    else:
        uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=False, server_header=False)
