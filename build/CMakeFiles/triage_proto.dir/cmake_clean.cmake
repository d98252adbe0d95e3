file(REMOVE_RECURSE
  "CMakeFiles/triage_proto.dir/proto/triage/v1/triage.pb.cc.o"
  "CMakeFiles/triage_proto.dir/proto/triage/v1/triage.pb.cc.o.d"
  "libtriage_proto.a"
  "libtriage_proto.pdb"
  "proto/triage/v1/triage.pb.cc"
  "proto/triage/v1/triage.pb.h"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/triage_proto.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
