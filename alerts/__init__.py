"""Price alerts as server objects: conditions, the sorted book, stores, and webhook delivery (see service.py)."""
