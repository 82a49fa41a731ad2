# nats.js + the CloudEvents JavaScript SDK read every event of a short run (core and JetStream).
lnsim_peer_test(NAME peer_cloudevents_js PEER cloudevents-js TIMEOUT 300)
