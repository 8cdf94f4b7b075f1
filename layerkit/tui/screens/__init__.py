"""Screens: the annotation screen and its modal dialogs."""
