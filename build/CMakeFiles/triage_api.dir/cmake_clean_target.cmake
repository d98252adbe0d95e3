file(REMOVE_RECURSE
  "libtriage_api.a"
)
