"""CohortShardWorkflow's id and input."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from playbooks.model import PlaybookRef

SHARD_SIZE = 500  # journeys per shard: well under Temporal's 2,000 pending children per workflow


def shard_id(cohort_id: str, index: int) -> str:
    return f"window/{cohort_id}/shard-{index}"


class ShardInput(BaseModel):
    cohort_id: str
    index: int
    playbook: PlaybookRef
    window_ends_at: datetime
    partners: list[str]
    paused: bool = False
    started: bool = False  # true after continue-as-new: the journeys already exist
