"""Cost models: logical counts of bloqs, closed-form formulas, surface-code physical costs,
the classical GPU baseline, and reports."""
