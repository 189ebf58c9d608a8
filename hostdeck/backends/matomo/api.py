"""The Matomo HTTP API client over the shared HTTP core: `POST {url}/index.php` with a form body.

Every call sends `module=API`, `method`, `format=json` and `token_auth` **in the POST body** (never in the URL: a
secure-only token is refused there, and URLs end up in web-server logs), then the method's parameters with PHP array
syntax for lists (`urls[0]=…&urls[1]=…`). Success is decided by the body: `{"result": "error"}` is an error whatever
the status. Reads are resent after transient failures; writes (addSite, deleteSite) never — the adapter reconciles.
"""

from __future__ import annotations

from typing import Any

from ..adapter_base.answers import not_an_api
from ..errors import BackendError
from ..errors import ProtocolError
from ..events import ScrubbedEvents as ScrubbedEvents  # the tests and the adapter reach it here
from ..http import HttpCore
from ..redact import redact
from .errors import from_message

API_PATH = "/index.php"


def form_params(params: dict[str, Any]) -> dict[str, str]:
    """Method parameters as PHP reads them: lists as `name[0]`, `name[1]` (in order), booleans as 1/0, None left out."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            for n, item in enumerate(value):
                out[f"{key}[{n}]"] = str(item)
        elif isinstance(value, bool):
            out[key] = "1" if value else "0"
        else:
            out[key] = str(value)
    return out


class MatomoApi:
    def __init__(self, http: HttpCore, token: str) -> None:
        self.http = http
        self.backend = http.backend
        self._token = token

    async def call(self, method: str, params: dict[str, Any] | None = None, *, write: bool = False) -> Any:
        """One API method. Reads are resent after transient failures, writes never (`safe=False`)."""
        form = {"module": "API", "method": method, "format": "json", "token_auth": self._token,
                **form_params(params or {})}
        try:
            reply = await self.http.request("POST", API_PATH, operation=method, form=form, reads_only=not write,
                                            safe=not write)
        except ProtocolError as exc:
            raise self._not_an_api(exc, method) from None
        data = reply.data
        if isinstance(data, dict) and str(data.get("result", "")).lower() == "error":
            message = str(data.get("message") or "no message")
            err = from_message(message, method, self.backend, reply.status)
            err.backend, err.operation = self.backend, method
            self.http.note(f"{method}: result=error: {message}", method="POST", path=API_PATH, status=reply.status,
                           detail={"response": redact(data)})
            raise err
        return data

    def _not_an_api(self, exc: ProtocolError, method: str) -> BackendError:
        return not_an_api(exc, service="Matomo", endpoint="index.php", operation=method, backend=self.backend,
                          redirect_note="; a redirect would also turn the POST (and its token) into a GET",
                          web_page=exc.http_status == 200 and "text/html" in exc.message)
