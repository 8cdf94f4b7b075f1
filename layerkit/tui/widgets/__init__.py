"""Widgets of the annotation screen."""
