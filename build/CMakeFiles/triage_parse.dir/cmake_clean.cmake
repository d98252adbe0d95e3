file(REMOVE_RECURSE
  "CMakeFiles/triage_parse.dir/src/parse/grammar.cpp.o"
  "CMakeFiles/triage_parse.dir/src/parse/grammar.cpp.o.d"
  "CMakeFiles/triage_parse.dir/src/parse/parse.cpp.o"
  "CMakeFiles/triage_parse.dir/src/parse/parse.cpp.o.d"
  "libtriage_parse.a"
  "libtriage_parse.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage_parse.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
