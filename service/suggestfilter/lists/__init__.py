"""Term and policy file formats: parse a term file (CSV or plain text) and a
policy file (TOML) into entries and a policy, rejecting a malformed file whole.
"""
