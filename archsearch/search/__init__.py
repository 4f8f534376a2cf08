"""Search: budgets and constraints, the Optuna study, multi-fidelity stages, executors, run storage."""
