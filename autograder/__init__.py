"""Instructor-only: nbgrader configuration, the grading command line, each homework's reference.

Never shipped to students. ``python -m autograder --help`` lists the commands.
"""
