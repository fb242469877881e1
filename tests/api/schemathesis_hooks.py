"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Generated cases repeat header values ("0", "null", "000..."), and the API answers a reused
Idempotency-Key with a different request 422, as the IETF draft says it should (tests/api/test_idempotency.py).
A client sends a fresh key per new request, so each valid key gets a distinct suffix; an invalid one
(over 200 characters) is sent as generated, for the API to refuse.
"""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis

_sent = itertools.count()


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and len(key) <= 200:
        case.headers["Idempotency-Key"] = f"{key[:180]}~{next(_sent)}"
