"""HTTP: the FastAPI app, routers, schemas, dependencies and the error → problem-details mapping."""
