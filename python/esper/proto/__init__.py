"""The wire contracts (proto/esper/*.proto), generated at build time by the project's protoc:
envelope_pb2, telemetry_pb2, field_report_pb2, severity_pb2, control_pb2, adaptation_pb2,
system_state_pb2."""
