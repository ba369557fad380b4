"""Alongside: a care companion for people living with secondary breast cancer."""

__version__ = "0.1.0"
