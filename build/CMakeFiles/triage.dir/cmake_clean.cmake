file(REMOVE_RECURSE
  "CMakeFiles/triage.dir/src/cli/main.cpp.o"
  "CMakeFiles/triage.dir/src/cli/main.cpp.o.d"
  "triage"
  "triage.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
