"""Bring posts and pages from another blog engine into Quire: text in, text out (the commands are in cli.py)."""

from .hugo import import_hugo
from .jekyll import import_jekyll

__all__ = ["import_hugo", "import_jekyll"]
