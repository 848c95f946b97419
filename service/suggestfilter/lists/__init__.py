"""Term and policy file formats: parse a term file (CSV or plain text) and a
policy file (TOML) into entries and a policy, rejecting a malformed file whole.
``_validate`` holds the rules every entry and policy meets on its way into a
store, whether it comes from a file, the admin API or the CLI.
"""
