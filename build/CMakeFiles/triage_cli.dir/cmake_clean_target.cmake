file(REMOVE_RECURSE
  "libtriage_cli.a"
)
