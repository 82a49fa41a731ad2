module lnsim/tests/peers/golinstor

go 1.23.0

require (
	github.com/LINBIT/golinstor v0.56.2
	github.com/donovanhide/eventsource v0.0.0-20210830082556-c59027999da0
)

require (
	github.com/google/go-querystring v1.1.0 // indirect
	golang.org/x/time v0.12.0 // indirect
	moul.io/http2curl/v2 v2.3.0 // indirect
)
