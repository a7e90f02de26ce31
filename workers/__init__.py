"""Background jobs on streaq; each job calls a content/ service and is safe to run twice."""
