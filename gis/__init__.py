"""Spatial computation for the 百城提质 planning service: reading, validating, ingesting, indicators.

Framework-free: nothing here imports Flask.
"""
