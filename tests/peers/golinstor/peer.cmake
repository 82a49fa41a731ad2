# golinstor (LINBIT's Go client, as linstor-csi uses it) against lnsim mock-linstor.
lnsim_peer_test(NAME peer_golinstor PEER golinstor DEPENDS lnsim TIMEOUT 300)
