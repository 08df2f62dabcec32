"""Reference implementations the hidden tests compare students' code with: one package per
homework (``autograder/reference/<hw>/``), each with its catalogue of mistakes."""
