"""Pure, vectorised conflict detection: CPA, intervals of loss of separation, candidate pairs."""
