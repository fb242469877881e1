"""A fixed corpus (the scoring bench's 300 first partners) scores exactly as it did: every assessment's
values, explanations, tier, classification and actions, hashed. A faster scorer must keep this digest;
a deliberate change to the rubric or the rules updates it in the same commit, and says why."""

from __future__ import annotations

import hashlib
import random

from bench.scoring import AS_OF, make
from domain.intel.assess import assess
from domain.intel.rubric import default_rubric

SEED, PARTNERS = 20261202, 300
DIGEST = "9335de6883d943dd9c225599c20bf0d75e08e02ccbe92b0f313db51cb402d1aa"


def corpus_digest() -> str:
    rng, rubric = random.Random(SEED), default_rubric()
    digest = hashlib.sha256()
    for n in range(PARTNERS):
        digest.update(repr(assess(make(rng, n), AS_OF, rubric)).encode())
    return digest.hexdigest()


def test_the_fixed_corpus_scores_identically() -> None:
    assert corpus_digest() == DIGEST
