file(REMOVE_RECURSE
  "CMakeFiles/triage_engine.dir/src/check/checker.cpp.o"
  "CMakeFiles/triage_engine.dir/src/check/checker.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/check/conditions.cpp.o"
  "CMakeFiles/triage_engine.dir/src/check/conditions.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/check/context.cpp.o"
  "CMakeFiles/triage_engine.dir/src/check/context.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/check/properties.cpp.o"
  "CMakeFiles/triage_engine.dir/src/check/properties.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/compile/compile.cpp.o"
  "CMakeFiles/triage_engine.dir/src/compile/compile.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/eval/evaluator.cpp.o"
  "CMakeFiles/triage_engine.dir/src/eval/evaluator.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/eval/order.cpp.o"
  "CMakeFiles/triage_engine.dir/src/eval/order.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/intake/intake.cpp.o"
  "CMakeFiles/triage_engine.dir/src/intake/intake.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/model/ruleset.cpp.o"
  "CMakeFiles/triage_engine.dir/src/model/ruleset.cpp.o.d"
  "CMakeFiles/triage_engine.dir/src/ruleset/loader.cpp.o"
  "CMakeFiles/triage_engine.dir/src/ruleset/loader.cpp.o.d"
  "libtriage_engine.a"
  "libtriage_engine.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage_engine.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
