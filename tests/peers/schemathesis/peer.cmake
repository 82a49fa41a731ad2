# schemathesis (PyPI) over LINSTOR's OpenAPI spec, against lnsim mock-linstor.
lnsim_peer_test(NAME peer_schemathesis PEER schemathesis DEPENDS lnsim TIMEOUT 300)
