"""The kernel every app may use: money, Shanghai time, the actor, scoped querysets, errors, pagination.

It imports nothing of the project's apps (an import-linter contract holds it so)."""
