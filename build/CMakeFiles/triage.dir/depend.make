# Empty dependencies file for triage.
# This may be replaced when dependencies are built.
