file(REMOVE_RECURSE
  "CMakeFiles/triage_cli.dir/src/cli/commands.cpp.o"
  "CMakeFiles/triage_cli.dir/src/cli/commands.cpp.o.d"
  "libtriage_cli.a"
  "libtriage_cli.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage_cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
