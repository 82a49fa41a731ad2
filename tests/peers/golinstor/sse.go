package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/LINBIT/golinstor/client"
	"github.com/donovanhide/eventsource"
)

// waitPromotion reads golinstor's stream until an event of resource `name` arrives.
func waitPromotion(ctx context.Context, s *client.DRBDMayPromoteStream, name string) (client.EventMayPromoteChange, error) {
	for {
		select {
		case ev, ok := <-s.Events:
			if !ok {
				return ev, errors.New("stream closed")
			}
			if ev.ResourceName == name {
				return ev, nil
			}
		case <-ctx.Done():
			return client.EventMayPromoteChange{}, fmt.Errorf("no may-promote-change for %s: %w", name, ctx.Err())
		}
	}
}

// promotionStream: golinstor's EventService with Last-Event-ID "current" (as golinstor's own
// ha.LostResourceUser subscribes) replays the current values, then announces a resource
// auto-placed through the API.
func promotionStream(ctx context.Context, c *client.Client, r *results) {
	// Ending the stream by its context, not Close(): eventsource's Close closes the Events
	// channel under a goroutine that may be sending on it (a panic).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Events.DRBDPromotion(ctx, "current")
	if !r.check("Events.DRBDPromotion current", err, "subscribed") {
		return
	}
	select {
	case ev := <-stream.Events:
		r.check("DRBDPromotion replay of current values", nil, ev.ResourceName+" on "+ev.NodeName)
	case <-ctx.Done():
		r.check("DRBDPromotion replay of current values", ctx.Err(), "")
	}
	const name = "pvc-golinstor-sse"
	if !createVolume(ctx, c, r, name, 2) {
		return
	}
	ev, err := waitPromotion(ctx, stream, name)
	r.check("DRBDPromotion event of a new resource", err,
		fmt.Sprintf("%s on %s may_promote=%t", ev.ResourceName, ev.NodeName, ev.MayPromote))
	deleteVolume(ctx, c, r, name)
}

// postFault adds a live fault through the mock's control API (not part of LINSTOR's API).
func postFault(ctx context.Context, base *url.URL, fault map[string]any) error {
	body, _ := json.Marshal(fault)
	req, err := http.NewRequestWithContext(ctx, "POST", base.JoinPath("/lnsim/v1/faults").String(),
		bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		return fmt.Errorf("POST /lnsim/v1/faults: %d", resp.StatusCode)
	}
	return nil
}

// restartFlow: the controller restarts (the mock's controller_down: streams end, the port refuses
// connections, then listens again). golinstor's EventService sits on donovanhide/eventsource;
// its Stream reconnects after the server's retry delay (3 s, LINSTOR sends no `retry:`) with
// the last `id:` seen, else the Last-Event-ID it was opened with: "current" again, since
// LINSTOR sends no `id:`. golinstor itself never reads Stream.Errors, which blocks that
// reconnect (see docs/mock-linstor.md "SSE"), so this reads them, as a client that wants the
// reconnect must.
func restartFlow(ctx context.Context, c *client.Client, base *url.URL, r *results) {
	ctx, cancel := context.WithCancel(ctx) // ends the stream (see promotionStream)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base.JoinPath("/v1/events/drbd/promotion").String(), nil)
	stream, err := eventsource.SubscribeWith("current", http.DefaultClient, req)
	if !r.check("eventsource.SubscribeWith current", err, "subscribed") {
		return
	}
	if !r.check("restart: replay before", firstEvent(ctx, stream, nil), "may-promote-change") {
		return
	}
	err = postFault(ctx, base, map[string]any{"kind": "controller_down", "duration": "2s"})
	if !r.check("restart: POST controller_down 2s", err, "201") {
		return
	}
	var ended error
	err = firstEvent(ctx, stream, &ended)
	r.check("restart: stream ends with the controller", errorIf(ended == nil, "no end seen"), fmt.Sprint(ended))
	r.check("restart: reconnect replays current values", err, "Last-Event-ID: current re-sent")
	const name = "pvc-golinstor-restart"
	if !createVolume(ctx, c, r, name, 2) {
		return
	}
	r.check("restart: new resource on the reconnected stream", waitEvent(ctx, stream, name), name)
	deleteVolume(ctx, c, r, name)
}

func errorIf(bad bool, msg string) error {
	if bad {
		return errors.New(msg)
	}
	return nil
}

// firstEvent waits for a may-promote-change. With ended != nil it first waits for the stream to
// report its end (an error on Errors): events are sent on Events before the end is reported,
// so the event returned is from the new connection.
func firstEvent(ctx context.Context, s *eventsource.Stream, ended *error) error {
	for {
		select {
		case ev := <-s.Events:
			if ev.Event() == "may-promote-change" && (ended == nil || *ended != nil) {
				return nil
			}
		case err := <-s.Errors:
			if ended != nil && *ended == nil {
				*ended = err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func waitEvent(ctx context.Context, s *eventsource.Stream, name string) error {
	for {
		select {
		case ev := <-s.Events:
			var data client.EventMayPromoteChange
			if json.Unmarshal([]byte(ev.Data()), &data) == nil && data.ResourceName == name {
				return nil
			}
		case <-s.Errors:
		case <-ctx.Done():
			return fmt.Errorf("no event for %s: %w", name, ctx.Err())
		}
	}
}
