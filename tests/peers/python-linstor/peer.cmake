# LINBIT's python-linstor (the library under the linstor CLI) against lnsim mock-linstor.
lnsim_peer_test(NAME peer_python_linstor PEER python-linstor TIMEOUT 300)
