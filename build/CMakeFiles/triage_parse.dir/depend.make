# Empty dependencies file for triage_parse.
# This may be replaced when dependencies are built.
