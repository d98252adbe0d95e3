
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/check/checker.cpp" "CMakeFiles/triage_engine.dir/src/check/checker.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/check/checker.cpp.o.d"
  "/work/main/src/check/conditions.cpp" "CMakeFiles/triage_engine.dir/src/check/conditions.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/check/conditions.cpp.o.d"
  "/work/main/src/check/context.cpp" "CMakeFiles/triage_engine.dir/src/check/context.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/check/context.cpp.o.d"
  "/work/main/src/check/properties.cpp" "CMakeFiles/triage_engine.dir/src/check/properties.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/check/properties.cpp.o.d"
  "/work/main/src/compile/compile.cpp" "CMakeFiles/triage_engine.dir/src/compile/compile.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/compile/compile.cpp.o.d"
  "/work/main/src/eval/evaluator.cpp" "CMakeFiles/triage_engine.dir/src/eval/evaluator.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/eval/evaluator.cpp.o.d"
  "/work/main/src/eval/order.cpp" "CMakeFiles/triage_engine.dir/src/eval/order.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/eval/order.cpp.o.d"
  "/work/main/src/intake/intake.cpp" "CMakeFiles/triage_engine.dir/src/intake/intake.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/intake/intake.cpp.o.d"
  "/work/main/src/model/ruleset.cpp" "CMakeFiles/triage_engine.dir/src/model/ruleset.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/model/ruleset.cpp.o.d"
  "/work/main/src/ruleset/loader.cpp" "CMakeFiles/triage_engine.dir/src/ruleset/loader.cpp.o" "gcc" "CMakeFiles/triage_engine.dir/src/ruleset/loader.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/CMakeFiles/triage_diag.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/triage_parse.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
