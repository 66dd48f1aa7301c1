"""Domain objects, their lifecycles and validation, one module per resource family."""
