// golinstor-peer drives `lnsim mock-linstor` with LINBIT's Go client (github.com/LINBIT/golinstor,
// the client of linstor-csi and piraeus-operator) the way linstor-csi does: resource definitions,
// volume definitions, auto-placed resources, GetResourceView, deletes, the refusals a CSI driver
// relies on, and the DRBD promotion SSE stream (golinstor's EventService), including a controller
// restart. Prints "call, pass/fail, detail" rows and a closing "N passed, N failed" line; exits
// 1 on any failure.
//
// usage: golinstor-peer -url http://127.0.0.1:PORT [-timeout 120s] [-plant sse_drop]
// -plant sse_drop posts a 10-minute sse_drop window first (every SSE stream ends at once): the
// planted fault that shows the SSE checks fail.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/LINBIT/golinstor/client"
)

type results struct{ passed, failed int }

// check records one row: ok with detail, or the error.
func (r *results) check(call string, err error, detail string) bool {
	if err != nil {
		r.failed++
		fmt.Printf("%-44s FAIL  %v\n", call, err)
		return false
	}
	r.passed++
	fmt.Printf("%-44s pass  %s\n", call, detail)
	return true
}

func main() {
	base := flag.String("url", "", "mock controller base URL, e.g. http://127.0.0.1:3370")
	timeout := flag.Duration("timeout", 120*time.Second, "bound of the whole run")
	plant := flag.String("plant", "", "planted fault: sse_drop")
	flag.Parse()
	u, err := url.Parse(*base)
	if *base == "" || err != nil {
		fmt.Fprintln(os.Stderr, "golinstor-peer: -url http://HOST:PORT is required")
		os.Exit(2)
	}
	c, err := client.NewClient(client.BaseURL(u), client.Log(nil))
	if err != nil {
		fmt.Fprintln(os.Stderr, "golinstor-peer:", err)
		os.Exit(2)
	}
	// A bound for the whole run: a mock that stops answering fails the run instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	r := &results{}
	if *plant != "" {
		r.check("plant "+*plant, postFault(ctx, u, map[string]any{"kind": *plant, "duration": "10m"}), "posted")
	}
	fmt.Printf("%-44s %-5s %s\n", "call", "result", "detail")
	csiFlow(ctx, c, r)
	rgFlow(ctx, c, r)
	promotionStream(ctx, c, r)
	restartFlow(ctx, c, u, r)
	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		os.Exit(1)
	}
}
