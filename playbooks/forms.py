"""Validate and normalise a partner's answers to a step form. Pure: the API and the workflow's
update validator both call it, so the web page and the journey agree on what is acceptable."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlparse

from playbooks.model import FormField, Step

Answers = dict[str, Any]
EMAIL_MAX = 320


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()]


def _clean_one(field: FormField, raw: Any) -> tuple[Any, str | None]:
    if field.type == "multi_select":
        values = _as_list(raw)
        unknown = [v for v in values if v not in field.options]
        if unknown:
            return values, f"choose from the listed options ({', '.join(unknown)} is not one)"
        return values, None
    text = "" if raw is None else (raw[0] if isinstance(raw, list) and raw else str(raw))
    text = str(text).strip()
    if not text:
        return None, None
    if field.min_length and len(text) < field.min_length:
        return text, f"needs at least {field.min_length} characters (you wrote {len(text)})"
    if field.max_length and len(text) > field.max_length:
        return text, f"must be at most {field.max_length} characters (you wrote {len(text)})"
    match field.type:
        case "select":
            return (text, None) if text in field.options else (text, "choose one of the listed options")
        case "number":
            try:
                number = float(text.replace(",", ""))
            except ValueError:
                return text, "must be a number"
            if field.min_value is not None and number < field.min_value:
                return text, f"must be at least {field.min_value:g}"
            if field.max_value is not None and number > field.max_value:
                return text, f"must be at most {field.max_value:g}"
            return number, None
        case "date":
            try:
                return date.fromisoformat(text).isoformat(), None
            except ValueError:
                return text, "must be a date like 2026-12-31"
        case "url":
            parsed = urlparse(text if "://" in text else f"https://{text}")
            if parsed.scheme not in ("http", "https") or "." not in (parsed.hostname or ""):
                return text, "must be a web address like https://example.com/offer"
            return parsed.geturl(), None
        case "email":
            local, _, domain = text.partition("@")
            if not local or "." not in domain or len(text) > EMAIL_MAX or " " in text:
                return text, "must be an email address like name@company.com"
            return text.lower(), None
    return text, None


MAX_INTRO_ACCOUNTS = 3
INTRO_REASON_MIN, INTRO_REASON_MAX = 40, 2000


def _count(raw: Any, minimum: int) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= minimum else None


def _clean_account_upload(raw: Answers) -> tuple[Answers, dict[str, str]]:
    """The page imports the list itself; the journey records how many accounts and matches it had."""
    accounts, overlapping = _count(raw.get("accounts"), 1), _count(raw.get("overlapping"), 0)
    if accounts is None or overlapping is None:
        return {}, {"accounts": "upload a list with at least one account, then confirm it"}
    return {"accounts": accounts, "overlapping": overlapping}, {}


def _clean_intro_request(raw: Answers) -> tuple[Answers, dict[str, str]]:
    """Which overlapping accounts (checked against the overlap by the page and the activity) and why now."""
    accounts = list(dict.fromkeys(_as_list(raw.get("accounts"))))
    reason = str(raw.get("reason") or "").strip()
    errors: dict[str, str] = {}
    if not accounts:
        errors["accounts"] = "pick at least one account from your overlap"
    elif len(accounts) > MAX_INTRO_ACCOUNTS:
        errors["accounts"] = f"pick at most {MAX_INTRO_ACCOUNTS} accounts (you picked {len(accounts)})"
    if len(reason) < INTRO_REASON_MIN:
        errors["reason"] = f"needs at least {INTRO_REASON_MIN} characters (you wrote {len(reason)})"
    elif len(reason) > INTRO_REASON_MAX:
        errors["reason"] = f"must be at most {INTRO_REASON_MAX} characters (you wrote {len(reason)})"
    return {"accounts": accounts, "reason": reason}, errors


def clean_answers(step: Step, raw: Answers) -> tuple[Answers, dict[str, str]]:
    """Return (normalised answers, {field key: error}). Unknown keys are dropped, never stored."""
    cleaned: Answers = {}
    errors: dict[str, str] = {}
    if not step.fields and step.kind == "account_upload":
        return _clean_account_upload(raw)
    if not step.fields and step.kind == "ae_intro_request":
        return _clean_intro_request(raw)
    if not step.fields:
        if str(raw.get("acknowledged", "")).lower() not in ("on", "true", "yes", "1"):
            errors["acknowledged"] = "please tick the box to confirm"
        return {"acknowledged": True}, errors
    for field in step.fields:
        value, error = _clean_one(field, raw.get(field.key))
        empty = value is None or value == []
        if error:
            errors[field.key] = error
        elif field.required and empty:
            errors[field.key] = "is required"
        if not empty:
            cleaned[field.key] = value
    return cleaned, errors
