"""Reference implementations the hidden tests compare students' code with (one module per homework part)."""
