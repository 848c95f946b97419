"""Load generation and benchmarks: the typing and keystroke drivers, the
independent verdict oracle, the echo-server floor, and ``bench``.
"""
