# Empty dependencies file for triage_engine.
# This may be replaced when dependencies are built.
