
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/diag/diagnostic.cpp" "CMakeFiles/triage_diag.dir/src/diag/diagnostic.cpp.o" "gcc" "CMakeFiles/triage_diag.dir/src/diag/diagnostic.cpp.o.d"
  "/work/main/src/diag/render.cpp" "CMakeFiles/triage_diag.dir/src/diag/render.cpp.o" "gcc" "CMakeFiles/triage_diag.dir/src/diag/render.cpp.o.d"
  "/work/main/src/diag/source.cpp" "CMakeFiles/triage_diag.dir/src/diag/source.cpp.o" "gcc" "CMakeFiles/triage_diag.dir/src/diag/source.cpp.o.d"
  "/work/main/src/util/json_text.cpp" "CMakeFiles/triage_diag.dir/src/util/json_text.cpp.o" "gcc" "CMakeFiles/triage_diag.dir/src/util/json_text.cpp.o.d"
  "/work/main/src/util/sha256.cpp" "CMakeFiles/triage_diag.dir/src/util/sha256.cpp.o" "gcc" "CMakeFiles/triage_diag.dir/src/util/sha256.cpp.o.d"
  "/work/main/src/util/suggest.cpp" "CMakeFiles/triage_diag.dir/src/util/suggest.cpp.o" "gcc" "CMakeFiles/triage_diag.dir/src/util/suggest.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
