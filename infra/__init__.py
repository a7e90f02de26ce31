"""Plumbing: settings, database, Redis, object storage, security primitives, outside clients."""
