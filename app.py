"""Entry point for `flask run`: the example site at the project root, or the folder in QUIRE_SITE."""

from quire import create_app

__all__ = ["create_app"]
