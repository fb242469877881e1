"""The trust score: how much the vendor's field trusts a partner, 0-100, with every point explained.

Inputs are what AEs said, never what the partner says about itself:

- **AE feedback after a closed co-sell deal** (the core). Each answered form earns points, and the
  forms are averaged (each form weighs 1/n), so one enthusiastic AE cannot outweigh five lukewarm ones:

  | answer                          | points                                              |
  | ------------------------------- | --------------------------------------------------- |
  | would invite into another deal  | yes +20, no -15 (field advocacy: the strongest signal) |
  | the partner's contribution      | sourced +15, accelerated +10, influenced +6, none -5 |
  | role clarity 1-5                | (answer - 3) x 3, so -6 .. +6                        |
  | responsiveness 1-5              | (answer - 3) x 3, so -6 .. +6                        |

- **Repeat invitations**: every distinct AE beyond the first who would invite the partner again
  adds +5 (at most +10). Several sellers asking for a partner is advocacy one seller cannot fake.
- **Intro requests the AE answered** (gently): accepted +2 each (at most +6), declined -1 each (at
  most -3); "not now" says nothing about the partner and scores 0.

The score starts from a neutral 50 and is clamped to 0-100. It stays None until the first AE
feedback: intro answers alone are too thin to call trust. Recency is not weighted (yet): a form
counts the same whether it is a week or a year old.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

BASELINE = 50
CONTRIBUTION_POINTS = {"sourced": 15, "accelerated": 10, "influenced": 6, "none": -5}
CONTRIBUTIONS = tuple(CONTRIBUTION_POINTS)  # the form's choices, strongest first
SCALE_FACTOR = 3  # points per step away from the neutral 3 on a 1-5 answer
INVITE_YES, INVITE_NO = 20, -15
REPEAT_INVITE, REPEAT_INVITE_CAP = 5, 10
INTRO_ACCEPTED, INTRO_ACCEPTED_CAP = 2, 6
INTRO_DECLINED, INTRO_DECLINED_CAP = -1, -3
COMMENT_MAX = 2000


@dataclass(frozen=True)
class Feedback:
    deal_id: str
    ae_id: str
    ae_name: str
    contribution: str
    role_clarity: int
    responsiveness: int
    invite_again: bool
    submitted_at: datetime | None = None
    account_name: str = ""


@dataclass(frozen=True)
class IntroAnswer:
    intro_id: str
    ae_id: str
    status: str  # accepted | declined | not_now
    account_name: str = ""


@dataclass
class TrustScore:
    score: int | None
    signals: list[dict[str, Any]] = field(default_factory=list)
    feedback_count: int = 0
    advocates: int = 0  # distinct AEs who would invite the partner again


def feedback_errors(
    contribution: object, role_clarity: object, responsiveness: object, invite_again: object, comment: object
) -> dict[str, str]:
    """What is wrong with a feedback form, per field; empty when it can be recorded."""
    errors: dict[str, str] = {}
    if contribution not in CONTRIBUTIONS:
        errors["contribution"] = "choose how the partner contributed"
    for key, value in (("role_clarity", role_clarity), ("responsiveness", responsiveness)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[key] = "choose a rating from 1 to 5"
    if not isinstance(invite_again, bool):
        errors["invite_again"] = "answer yes or no"
    if not isinstance(comment, str):
        errors["comment"] = "must be text"
    elif len(comment) > COMMENT_MAX:
        errors["comment"] = f"keep it under {COMMENT_MAX} characters (this is {len(comment)})"
    return errors


def _feedback_parts(f: Feedback) -> dict[str, int]:
    return {
        "invite_again": INVITE_YES if f.invite_again else INVITE_NO,
        "contribution": CONTRIBUTION_POINTS[f.contribution],
        "role_clarity": (f.role_clarity - 3) * SCALE_FACTOR,
        "responsiveness": (f.responsiveness - 3) * SCALE_FACTOR,
    }


def _detail(f: Feedback) -> str:
    invite = "would invite again" if f.invite_again else "would not invite again"
    about = f" on {f.account_name}" if f.account_name else ""
    return (
        f"{f.ae_name or f.ae_id}{about}: {invite}, {f.contribution}, role clarity {f.role_clarity}/5, "
        f"responsiveness {f.responsiveness}/5"
    )


def _capped(count: int, each: int, cap: int) -> int:
    total = count * each
    return max(total, cap) if cap < 0 else min(total, cap)


def score(feedback: Iterable[Feedback], intros: Iterable[IntroAnswer] = ()) -> TrustScore:
    forms = sorted(feedback, key=lambda f: (f.submitted_at or datetime.min, f.deal_id, f.ae_id))
    answers = list(intros)
    signals: list[dict[str, Any]] = []
    weight = round(1 / len(forms), 4) if forms else 0.0
    for f in forms:
        parts = _feedback_parts(f)
        signals.append(
            {
                "source": "ae_feedback",
                "deal_id": f.deal_id,
                "ae": f.ae_id,
                "ae_name": f.ae_name,
                "weight": weight,
                "parts": parts,
                "points": round(sum(parts.values()) * weight, 2),
                "detail": _detail(f),
            }
        )
    advocates = sorted({f.ae_id for f in forms if f.invite_again})
    if len(advocates) > 1:
        signals.append(
            {
                "source": "repeat_invitations",
                "aes": advocates,
                "weight": REPEAT_INVITE,
                "points": _capped(len(advocates) - 1, REPEAT_INVITE, REPEAT_INVITE_CAP),
                "detail": f"{len(advocates)} different AEs would invite this partner again",
            }
        )
    for status, each, cap in (
        ("accepted", INTRO_ACCEPTED, INTRO_ACCEPTED_CAP),
        ("declined", INTRO_DECLINED, INTRO_DECLINED_CAP),
    ):
        matching = [a for a in answers if a.status == status]
        if matching:
            signals.append(
                {
                    "source": "intro_requests",
                    "status": status,
                    "intro_ids": [a.intro_id for a in matching],
                    "weight": each,
                    "points": _capped(len(matching), each, cap),
                    "detail": f"{len(matching)} intro request(s) {status} by AEs",
                }
            )
    if not forms:
        return TrustScore(score=None, signals=signals, feedback_count=0, advocates=0)
    raw = BASELINE + sum(float(s["points"]) for s in signals)
    signals.insert(0, {"source": "baseline", "weight": 1, "points": BASELINE, "detail": "neutral starting point"})
    value = max(0, min(100, round(raw)))
    if value != round(raw):
        signals.append({"source": "clamp", "weight": 1, "points": value - round(raw), "detail": "kept within 0-100"})
    return TrustScore(score=value, signals=signals, feedback_count=len(forms), advocates=len(advocates))
