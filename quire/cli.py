"""The `flask` commands: freeze, check, import."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register Quire's commands on the app."""
