file(REMOVE_RECURSE
  "libtriage_engine.a"
)
