"""Partner intelligence: pure scorers from recorded facts to signals, tiers, classes and actions."""
