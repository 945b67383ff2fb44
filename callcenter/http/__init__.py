"""HTTP plumbing shared by the resource modules: problem+json errors, JSON bodies, OpenAPI."""
