file(REMOVE_RECURSE
  "libtriage_proto.a"
)
