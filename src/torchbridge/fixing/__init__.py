"""Fixing: the loop that applies fixes to one text until none applies, and files in and out."""
