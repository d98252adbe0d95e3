file(REMOVE_RECURSE
  "libtriage_parse.a"
)
