
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/cli/commands.cpp" "CMakeFiles/triage_cli.dir/src/cli/commands.cpp.o" "gcc" "CMakeFiles/triage_cli.dir/src/cli/commands.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/CMakeFiles/triage_api.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/triage_engine.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/triage_parse.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/triage_diag.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/triage_proto.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
