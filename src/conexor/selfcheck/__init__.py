"""Self-checks an operator runs against a deployment: ``conexor selfcheck``.

The exposure check runs every flow (sign-up, cloud and agent databases,
queries, refusals, broken credentials, key rotation and revocation, audit
export) with canary secrets, then searches every response, the exports, the
store and the log for them in raw, URL-encoded, base64, base64url and hex
spellings.
"""

from conexor.selfcheck.canaries import Canary, encoded_forms
from conexor.selfcheck.errors import SelfcheckError
from conexor.selfcheck.exposure import ExposureOptions, ExposureReport, run_exposure_check
from conexor.selfcheck.scan import (
    Haystack,
    Hit,
    Scanner,
    file_haystack,
    store_haystacks,
    text_haystack,
)

__all__ = [
    "Canary",
    "ExposureOptions",
    "ExposureReport",
    "Haystack",
    "Hit",
    "Scanner",
    "SelfcheckError",
    "encoded_forms",
    "file_haystack",
    "run_exposure_check",
    "store_haystacks",
    "text_haystack",
]
