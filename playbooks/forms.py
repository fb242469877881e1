"""Validate and normalise a partner's answers to the fields of a step form. Pure: the API and the
workflow's update validator both call it (through playbooks.kinds), so the web page and the journey
agree on what is acceptable. What a step kind without fields accepts lives in its own kind module."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:  # playbooks.model imports the kinds, which import this module: no import back at run time
    from playbooks.model import FormField, Step

Answers = dict[str, Any]
EMAIL_MAX = 320


def as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()]


def _clean_one(field: FormField, raw: Any) -> tuple[Any, str | None]:
    if field.type == "multi_select":
        values = as_list(raw)
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


def clean_fields(step: Step, raw: Answers) -> tuple[Answers, dict[str, str]]:
    """Return (normalised answers, {field key: error}). Unknown keys are dropped, never stored."""
    cleaned: Answers = {}
    errors: dict[str, str] = {}
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


def sample_fields(step: Step) -> Answers:
    """Answers a diligent partner would give: valid for every field type and constraint (the dry run)."""
    answers: Answers = {}
    for f in step.fields:
        if f.type in ("select", "multi_select"):
            answers[f.key] = f.options[0] if f.type == "select" else [f.options[0]]
        elif f.type == "number":
            answers[f.key] = str(f.min_value if f.min_value is not None else 10)
        elif f.type == "url":
            answers[f.key] = "https://partner.example/offer"
        elif f.type == "date":
            answers[f.key] = "2027-03-31"
        elif f.type == "email":
            answers[f.key] = "ae@vendor.example"
        else:
            answers[f.key] = "x" * max(f.min_length or 0, 12)
    return answers
