file(REMOVE_RECURSE
  "libtriage_diag.a"
)
