"""Work orders as a feature: services, request parsing, HTTP routes (wazo-calld layout)."""
