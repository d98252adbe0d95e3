# Empty dependencies file for triage_api.
# This may be replaced when dependencies are built.
