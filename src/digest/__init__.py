"""digest: newsletter and push-digest generator for news publishers."""

__version__ = "0.1.0"
