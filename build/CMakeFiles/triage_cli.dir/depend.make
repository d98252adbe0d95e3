# Empty dependencies file for triage_cli.
# This may be replaced when dependencies are built.
