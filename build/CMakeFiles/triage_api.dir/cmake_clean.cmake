file(REMOVE_RECURSE
  "CMakeFiles/triage_api.dir/src/api/decision_proto.cpp.o"
  "CMakeFiles/triage_api.dir/src/api/decision_proto.cpp.o.d"
  "CMakeFiles/triage_api.dir/src/intake/intake_json.cpp.o"
  "CMakeFiles/triage_api.dir/src/intake/intake_json.cpp.o.d"
  "libtriage_api.a"
  "libtriage_api.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage_api.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
