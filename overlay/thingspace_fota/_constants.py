"""Every default and limit of the library in one place: URLs, timeouts, retries, pool and batch sizes.

The clients' constructors and the command line take their defaults from here, so each value is written once.
"""

from __future__ import annotations

import httpx

from ._version import __version__

DEFAULT_BASE_URL = "https://thingspace.verizon.com/api/fota/v3"
STAGING_BASE_URL = "https://staging.thingspace.verizon.com/api/fota/v3"
DEFAULT_AUTH_BASE_URL = "https://thingspace.verizon.com/api"
STAGING_AUTH_BASE_URL = "https://staging.thingspace.verizon.com/api"

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_WAIT = 60.0
DEFAULT_MAX_CONNECTIONS = 64
# Chunks (or single-device calls) of one AsyncFotaClient call in flight at once.
DEFAULT_MAX_CONCURRENCY = 8

# Statuses retried after a backoff (or the server's Retry-After).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
JITTER = 0.25

# Device ids per synchronize request: "for up to 100 devices" in the operation's description (firmware-v3-sdk-doc;
# its FirmwareIMEI model says 1000: fota-v3-contract.md section 6 takes the smaller).
MAX_BATCH_SIZE = 100
# Far above any IMEI or account name, far below httpx's URL limit (65,536 characters).
MAX_ID_LENGTH = 256

# Exit codes of the thingspace-fota command line (VerifyReport.exit_code gives verify's).
EXIT_OK, EXIT_API_ERROR, EXIT_BAD_INPUT, EXIT_PARTIAL, EXIT_DRIFT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

USER_AGENT = f"thingspace-fota/{__version__} python-httpx/{httpx.__version__}"
