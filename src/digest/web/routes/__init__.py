"""The web app's routes, one module per group of pages; each exposes ``router(ctx)``."""
