"""infinit: the car-sales ELT project's own Python (local databases, demo data, reports)."""
