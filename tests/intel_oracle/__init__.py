"""The intelligence scorer as it was before it was made faster (main at 8a0a457), kept as the reference
a faster scorer must match field for field (tests/domain/test_intel_oracle.py). Only the modules the
speed-up rewrote are here; the rest (signals, actions, explain, facts) is shared. A deliberate rule
change updates both this copy and domain/intel in the same commit."""
