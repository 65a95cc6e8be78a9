"""The web service's pages and endpoints: one module per concern, each with ``init_app(app)``."""
