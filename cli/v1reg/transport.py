"""HTTP with bounded retries and exponential backoff for transient failures (spec §5.11)."""
import time

import requests

from . import __version__
from .errors import CliError

TRANSIENT_STATUS = {429, 500, 502, 503, 504}
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class Http:
    def __init__(self, attempts: int = 5, backoff: float = 0.5, timeout=(10, 120)):
        self.attempts, self.backoff, self.timeout = attempts, backoff, timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"v1reg/{__version__}"

    def pause(self, attempt: int) -> None:
        time.sleep(self.backoff * 2 ** (attempt - 1))

    def request(self, method: str, url: str, *, what: str, data=None, **kwargs):
        """Send, retrying connection errors and 429/5xx; `data` may be a callable that
        returns a fresh body (an open file) for each attempt. The last answer is returned."""
        for attempt in range(1, self.attempts + 1):
            body = data() if callable(data) else data
            try:
                response = self.session.request(method, url, data=body, timeout=self.timeout,
                                                **kwargs)
            except TRANSIENT_ERRORS as error:
                failure = type(error).__name__
            else:
                if response.status_code not in TRANSIENT_STATUS or attempt == self.attempts:
                    return response
                failure = f"HTTP {response.status_code}"
            finally:
                if hasattr(body, "close"):
                    body.close()
            if attempt < self.attempts:
                self.pause(attempt)
        raise CliError(f"{what}: {failure} (gave up after {self.attempts} attempts)")
