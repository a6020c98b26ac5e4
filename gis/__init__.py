"""Spatial computation for the 百城提质 service: reading, validating, ingesting, indicators.

Framework-free: nothing here imports Flask.
"""
