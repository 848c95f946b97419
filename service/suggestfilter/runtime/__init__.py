"""The processes of ``suggestfilter serve``: the supervisor that never
serves, the worker processes it forks, and how list versions reach them.
"""
