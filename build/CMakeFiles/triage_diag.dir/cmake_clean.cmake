file(REMOVE_RECURSE
  "CMakeFiles/triage_diag.dir/src/diag/diagnostic.cpp.o"
  "CMakeFiles/triage_diag.dir/src/diag/diagnostic.cpp.o.d"
  "CMakeFiles/triage_diag.dir/src/diag/render.cpp.o"
  "CMakeFiles/triage_diag.dir/src/diag/render.cpp.o.d"
  "CMakeFiles/triage_diag.dir/src/diag/source.cpp.o"
  "CMakeFiles/triage_diag.dir/src/diag/source.cpp.o.d"
  "CMakeFiles/triage_diag.dir/src/util/json_text.cpp.o"
  "CMakeFiles/triage_diag.dir/src/util/json_text.cpp.o.d"
  "CMakeFiles/triage_diag.dir/src/util/sha256.cpp.o"
  "CMakeFiles/triage_diag.dir/src/util/sha256.cpp.o.d"
  "CMakeFiles/triage_diag.dir/src/util/suggest.cpp.o"
  "CMakeFiles/triage_diag.dir/src/util/suggest.cpp.o.d"
  "libtriage_diag.a"
  "libtriage_diag.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage_diag.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
