# cmake -DFROM=<protoc's esper/ output> -DTO=<package>/esper/proto -P stage_contracts.cmake
# Copies the generated *_pb2.py modules into the package's esper.proto, their imports of each other
# (`from esper import x_pb2`) made to name esper.proto, where they now live.
file(GLOB generated "${FROM}/*_pb2.py")
foreach(path IN LISTS generated)
  get_filename_component(name "${path}" NAME)
  file(READ "${path}" text)
  string(REPLACE "from esper import " "from esper.proto import " text "${text}")
  file(WRITE "${TO}/${name}" "${text}")
endforeach()
