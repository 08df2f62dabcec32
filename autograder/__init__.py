"""Instructor-only: nbgrader configuration, the grading command line, reference code for hidden tests.

Never shipped to students. ``python -m autograder --help`` lists the commands.
"""
