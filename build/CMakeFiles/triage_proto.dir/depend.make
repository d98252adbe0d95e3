# Empty dependencies file for triage_proto.
# This may be replaced when dependencies are built.
