"""The parts of the Python bus client, one concept per module; esper_producer re-exports them.

  wire        severities, metric kinds, topics, stamping constants, signatures, metric points
  bus_config  where the bus is and its signing key (runtime directory, endpoints, YAML config)
  publisher   BusPublisher: stamps and PUSHes envelopes to Oona's ingress
  subscriber  BusSubscriber: follows Oona's egress with credit (the egress handshake)
  producer    Producer: the bounded buffer and its flush thread in front of a BusPublisher
  drain_wakeup  DrainWakeup: how a recording thread wakes the flush thread when a batch is ready
  flush_link  the flush protocol with Weatherlight that Producer's thread speaks when supervised
"""
