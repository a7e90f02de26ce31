"""The business of Kepu: models, the review workflow, screening, feeds and their rules. No HTTP."""
