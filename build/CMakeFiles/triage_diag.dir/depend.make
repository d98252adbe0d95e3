# Empty dependencies file for triage_diag.
# This may be replaced when dependencies are built.
