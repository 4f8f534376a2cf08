"""Tasks: a backbone `ArchConfig` plus a task (classification, SSDLite detection, Mobile DeepLabv3
segmentation) makes the whole network that is costed, timed and exported (`spec` says where the head
attaches, `heads` what it is, `lowering` its kernels, `models` its torch modules). Importing this package
imports no torch."""

from archsearch.tasks.spec import (
    TASKS,
    Plan,
    Tap,
    Task,
    TaskError,
    TaskNet,
    get_task,
    load_network,
    network,
    plan,
)

__all__ = [
    "TASKS",
    "Plan",
    "Tap",
    "Task",
    "TaskError",
    "TaskNet",
    "get_task",
    "load_network",
    "network",
    "plan",
]
